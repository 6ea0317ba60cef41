"""examples/ workloads (Fashion-MNIST regularized, Titanic, Wine, IMDB multi-hot, Boston): each runs with
--quick offline (TRAINWELL_OFFLINE=1, an empty TRAINWELL_DATA_DIR), says which data it used, and scores
better than chance or than predicting the mean."""
import csv
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
WORKLOADS = ("fashion_mnist_regularized", "titanic", "wine", "imdb_multi_hot", "boston_housing")
sys.path.insert(0, str(EXAMPLES))
import _stand_in  # noqa: E402

sys.path.remove(str(EXAMPLES))


def run_example(name, out, data_dir, *extra, prelude="pass"):
    """Run examples/<name>.py --quick --out <out> in a fresh interpreter, offline, warnings as errors."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               TRAINWELL_OFFLINE="1", TRAINWELL_DATA_DIR=str(data_dir))
    script = EXAMPLES / f"{name}.py"
    code = (f"import runpy, sys; sys.path.insert(0, {str(EXAMPLES)!r}); {prelude}; "
            f"sys.argv = [{str(script)!r}, '--quick', '--out', {str(out)!r}, *{list(map(str, extra))!r}]; "
            f"runpy.run_path({str(script)!r}, run_name='__main__')")
    return subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    """{name: (completed process, record)} for every workload, each run once against an empty cache."""
    empty = tmp_path_factory.mktemp("empty_cache")
    runs = {}
    for name in WORKLOADS:
        out = tmp_path_factory.mktemp(name)
        process = run_example(name, out, empty)
        assert process.returncode == 0, process.stderr[-3000:]
        runs[name] = (process, json.loads((out / f"{name}.json").read_text()), out)
    assert not any(empty.iterdir()), "an example wrote into the data cache"
    return runs


@pytest.mark.parametrize("name", WORKLOADS)
def test_every_workload_runs_offline_on_its_stand_in_and_says_so(quick_runs, name):
    process, record, _ = quick_runs[name]
    data_lines = [line for line in process.stdout.splitlines() if line.startswith("data: ")]
    assert len(data_lines) == 1 and data_lines[0][len("data: "):] == record["data"]
    if name != "wine":  # wine is scikit-learn's real table, there is nothing to stand in for
        assert record["data"].startswith("stand-in: ")
    assert "downloading" not in process.stderr and record["quick"] is True


def test_classifiers_beat_chance_and_the_majority_class(quick_runs):
    assert quick_runs["fashion_mnist_regularized"][1]["test_accuracy"] > 0.8  # chance 0.1 on 10 digits
    assert quick_runs["imdb_multi_hot"][1]["test_accuracy"] > 0.75  # balanced labels: chance 0.5
    for name, margin in (("titanic", 0.1), ("wine", 0.4)):
        record = quick_runs[name][1]
        assert record["test_accuracy"] > record["majority_baseline"] + margin, record


def test_regression_beats_predicting_the_training_mean(quick_runs):
    record = quick_runs["boston_housing"][1]
    assert record["test_mae"] < 0.8 * record["mean_baseline_mae"], record


def test_fashion_checkpoint_is_the_best_epochs_model_and_reproduces_the_printed_accuracy(quick_runs):
    from trainwell.datasets import digits
    from trainwell.models import load_model

    _, record, out = quick_runs["fashion_mnist_regularized"]
    losses = record["val_loss"]
    assert record["best_epoch"] == int(np.argmin(losses)) + 1 and record["epochs_run"] <= 5
    model = load_model(str(out / "fashion_mnist_regularized_best.h5"))
    _, (x_test, y_test) = digits.load_data(seed=record["seed"])
    predicted = np.argmax(model.predict(x_test / 16.0, verbose=0), axis=1)
    assert np.mean(predicted == y_test) == pytest.approx(record["test_accuracy"], abs=1e-6)
    config = [layer.get_config() for layer in model.layers]
    assert config[1]["kernel_regularizer"] is not None and config[1]["activity_regularizer"] is not None
    assert [type(layer).__name__ for layer in model.layers].count("Dropout") == 2


def test_titanic_stand_in_has_the_columns_gaps_and_logistic_survival_it_documents(tmp_path):
    path = _stand_in.titanic_csv(tmp_path / "t.csv", rows=4000, seed=3)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == _stand_in.TITANIC_COLUMNS and len(rows) == 4000
    assert 0.1 < np.mean([row["Age"] == "" for row in rows]) < 0.3
    assert 0 < sum(row["Embarked"] == "" for row in rows) < 200
    survived = np.array([int(row["Survived"]) for row in rows])
    female = np.array([row["Sex"] == "female" for row in rows])
    first = np.array([row["Pclass"] == "1" for row in rows])
    # z has +2.5 for women and −1 per class step: women and first class survive clearly more often
    assert survived[female].mean() > survived[~female].mean() + 0.3
    assert survived[first].mean() > survived[~first].mean() + 0.1


def test_titanic_reads_a_given_csv_and_drops_name_ticket_and_cabin(tmp_path):
    source = _stand_in.titanic_csv(tmp_path / "plain.csv", rows=300, seed=1)
    with open(source, newline="") as handle:
        rows = list(csv.DictReader(handle))
    kaggle = tmp_path / "train.csv"
    with open(kaggle, "w", newline="") as handle:
        writer = csv.DictWriter(handle, [*_stand_in.TITANIC_COLUMNS, "Name", "Ticket", "Cabin"])
        writer.writeheader()
        writer.writerows({**row, "Name": f"Passenger {i}", "Ticket": f"T{i}", "Cabin": ""}
                         for i, row in enumerate(rows))
    process = run_example("titanic", tmp_path / "out", tmp_path / "cache", "--csv", kaggle)
    assert process.returncode == 0, process.stderr[-3000:]
    record = json.loads((tmp_path / "out" / "titanic.json").read_text())
    assert record["data"] == f"Titanic CSV {kaggle}" and record["train_samples"] + record["test_samples"] == 300
    assert not any(name.split("=")[0] in ("Name", "Ticket", "Cabin", "PassengerId") for name in record["features"])


def test_imdb_example_uses_a_cached_sequence_file_when_there_is_one(tmp_path):
    from trainwell.datasets import imdb

    def ranks(count, seed):  # stand-in reviews turned back into stored word ranks (index − index_from)
        sequences, labels = _stand_in.reviews(count, 10000, seed=seed)
        return [[word - 3 for word in sequence[1:]] for sequence in sequences], labels

    imdb.save_data(imdb.default_path(tmp_path / "cache"), ranks(2000, 5), ranks(1000, 6))
    process = run_example("imdb_multi_hot", tmp_path / "out", tmp_path / "cache")
    assert process.returncode == 0, process.stderr[-3000:]
    record = json.loads((tmp_path / "out" / "imdb_multi_hot.json").read_text())
    assert record["data"].startswith("IMDB reviews from ") and record["test_accuracy"] > 0.75


def test_wine_without_scikit_learn_says_so_and_exits_0(tmp_path):
    process = run_example("wine", tmp_path / "out", tmp_path / "cache", prelude="sys.modules['sklearn'] = None")
    assert process.returncode == 0, process.stderr[-3000:]
    assert process.stdout.startswith("skipped: ") and "pip install 'trainwell[data]'" in process.stdout
    assert not (tmp_path / "out").exists()


def test_multi_hot_sets_one_at_each_word_below_the_dimension():
    x = _stand_in.multi_hot([[1, 3, 3, 9], [0, 12]], 10)
    expected = np.zeros((2, 10), dtype=np.float32)
    expected[0, [1, 3, 9]] = 1.0
    expected[1, 0] = 1.0
    np.testing.assert_array_equal(x, expected)
