"""examples/: every evidence script runs with --quick (seeds 0–2) and writes its JSON and PNG; the
claims docs/EVIDENCE.md asserts hold in every one of those seeds (the rest is only reported)."""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ("regularization_l2", "dropout_rate", "mc_dropout", "transfer_learning", "pretraining")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_example(name, out, prelude="pass"):
    """Run examples/<name>.py --quick --out <out> in a fresh interpreter, warnings as errors."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    script = ROOT / "examples" / f"{name}.py"
    code = (f"import runpy, sys; {prelude}; sys.argv = [{str(script)!r}, '--quick', '--out', {str(out)!r}]; "
            f"runpy.run_path({str(script)!r}, run_name='__main__')")
    return subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    """{name: (completed process, output folder)} for every example, each run once."""
    runs = {}
    for name in EXAMPLES:
        out = tmp_path_factory.mktemp(name)
        runs[name] = (run_example(name, out), out)
    return runs


def record(quick_runs, name):
    process, out = quick_runs[name]
    assert process.returncode == 0, process.stderr[-3000:]
    return json.loads((out / f"{name}.json").read_text())


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_quick_run_exits_0_prints_its_table_and_writes_json_and_png(quick_runs, name):
    process, out = quick_runs[name]
    assert process.returncode == 0, process.stderr[-3000:]
    assert "over 3 seeds" in process.stdout and "mean ± std [min, max]" in process.stdout
    data = record(quick_runs, name)
    assert data["experiment"] == name and data["quick"] is True and data["seeds"] == [0, 1, 2]
    assert [entry["seed"] for entry in data["per_seed"]] == [0, 1, 2]
    assert (out / f"{name}.png").read_bytes()[:8] == PNG_SIGNATURE


def test_summaries_are_mean_sample_std_min_max_of_the_per_seed_numbers(quick_runs):
    data = record(quick_runs, "regularization_l2")
    for index, entry in enumerate(data["summary"]):
        values = np.array([seed["rows"][index]["test_accuracy"] for seed in data["per_seed"]])
        stats = entry["test_accuracy"]
        assert stats["n"] == 3 and stats["mean"] == pytest.approx(values.mean(), abs=1e-12)
        assert stats["std"] == pytest.approx(values.std(ddof=1), abs=1e-12)
        assert (stats["min"], stats["max"]) == (values.min(), values.max())
        differences = values - np.array([seed["rows"][0]["test_accuracy"] for seed in data["per_seed"]])
        assert entry["vs_baseline"]["test_accuracy"] == {"above": int((differences > 0).sum()),
                                                         "below": int((differences < 0).sum()),
                                                         "equal": int((differences == 0).sum())}


def test_l2_of_at_least_0_03_caps_training_accuracy_below_the_unregularized_networks_in_every_seed(quick_runs):
    data = record(quick_runs, "regularization_l2")
    for seed in data["per_seed"]:
        base, *rows = seed["rows"]
        assert base["l2"] == 0.0
        capped = [row for row in rows if row["l2"] >= 0.03]
        assert [row["l2"] for row in capped] == [0.03, 0.1]
        assert all(row["train_accuracy"] < base["train_accuracy"] for row in capped), seed


def test_every_l2_factor_gives_a_smaller_weight_norm_than_none_in_every_seed(quick_runs):
    data = record(quick_runs, "regularization_l2")
    for seed in data["per_seed"]:
        base, *rows = seed["rows"]
        assert rows and all(row["weight_norm"] < base["weight_norm"] for row in rows), seed


def test_every_dropout_rate_slows_fitting_of_the_training_set_in_every_seed(quick_runs):
    data = record(quick_runs, "dropout_rate")
    for seed in data["per_seed"]:
        base, *rows = seed["rows"]
        assert base["rate"] == 0.0 and len(base["train_curve"]) == data["settings"]["epochs"]
        assert base["curve_mean"] == pytest.approx(np.mean(base["train_curve"]), abs=1e-12)
        assert rows and all(row["curve_mean"] < base["curve_mean"] for row in rows), seed


def test_mc_dropout_spread_is_larger_on_misclassified_than_on_correct_samples_in_every_seed(quick_runs):
    data = record(quick_runs, "mc_dropout")
    for seed in data["per_seed"]:
        assert seed["misclassified"] > 0
        assert seed["spread_misclassified"] > seed["spread_correct"], seed


def test_mc_predict_left_batch_norm_moving_statistics_bit_identical_in_every_seed(quick_runs):
    data = record(quick_runs, "mc_dropout")
    assert all(seed["bn_unchanged"] is True for seed in data["per_seed"])


def test_transfer_mechanics_clone_independent_frozen_still_unfrozen_moving_shared_layers_shared(quick_runs):
    data = record(quick_runs, "transfer_learning")
    for seed in data["per_seed"]:
        assert seed["a_unchanged"] and seed["frozen_still"], seed
        assert seed["moved_after_unfreeze"] and seed["shared_moves_a"], seed
        assert (seed["b_train_samples"], seed["b_test_samples"]) == (40, 354 - 40)  # digits has 174 8s, 180 9s


def test_pretraining_lowers_every_stages_reconstruction_loss_and_uses_50_labels_in_every_seed(quick_runs):
    data = record(quick_runs, "pretraining")
    for seed in data["per_seed"]:
        assert seed["labeled_samples"] == 50
        assert len(seed["reconstruction"]) == 2
        assert all(stage["after"] < stage["before"] for stage in seed["reconstruction"]), seed


def test_without_matplotlib_an_example_says_so_and_still_prints_and_writes_its_numbers(tmp_path):
    process = run_example("pretraining", tmp_path, prelude="sys.modules['matplotlib'] = None")
    assert process.returncode == 0, process.stderr[-3000:]
    assert "matplotlib is not installed" in process.stdout and "pretrained − scratch" in process.stdout
    assert json.loads((tmp_path / "pretraining.json").read_text())["per_seed"]
    assert not (tmp_path / "pretraining.png").exists()
