"""trainwell.tune: distributions and narrowing on fixed numbers, random search rounds, and the same search
run by several worker processes through a shared folder, including a worker that dies mid-trial."""
import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests import tune_objectives
from trainwell import tune

ROOT = Path(__file__).resolve().parents[1]
SPACE = {"learning_rate": tune.LogUniform(1e-5, 1.0), "units": tune.IntUniform(8, 512), "loss": "mse"}


# ----- distributions ---------------------------------------------------------------------------
def test_draws_stay_in_bounds_and_log_uniform_spreads_over_decades():
    rng = np.random.default_rng(0)
    uniform = [tune.Uniform(0.1, 0.5).sample(rng) for _ in range(2000)]
    logs = [tune.LogUniform(1e-4, 1.0).sample(rng) for _ in range(4000)]
    ints = [tune.IntUniform(2, 5).sample(rng) for _ in range(2000)]
    assert 0.1 <= min(uniform) and max(uniform) <= 0.5
    assert 1e-4 <= min(logs) and max(logs) <= 1.0
    per_decade = np.histogram(np.log10(logs), bins=[-4, -3, -2, -1, 0])[0] / len(logs)
    np.testing.assert_allclose(per_decade, 0.25, atol=0.03)  # a plain uniform would put 90% in the last
    assert sorted(set(ints)) == [2, 3, 4, 5] and all(isinstance(v, int) for v in ints)
    assert {tune.Choice(["a", "b"]).sample(rng) for _ in range(50)} == {"a", "b"}


def test_narrowing_spans_the_good_values_widened_by_a_tenth_inside_the_original_bounds():
    narrowed = tune.Uniform(0.0, 1.0).narrow([0.4, 0.6])
    assert (narrowed.low, narrowed.high) == pytest.approx((0.38, 0.62))
    edge = tune.Uniform(0.0, 1.0).narrow([0.0, 0.5])
    assert (edge.low, edge.high) == pytest.approx((0.0, 0.55))  # not below the original floor
    logs = tune.LogUniform(1e-5, 1.0).narrow([1e-3, 1e-1])
    assert (math.log10(logs.low), math.log10(logs.high)) == pytest.approx((-3.2, -0.8))
    ints = tune.IntUniform(8, 512).narrow([60, 70])
    assert (ints.low, ints.high) == (59, 71)
    single = tune.Uniform(0.0, 1.0).narrow([0.5, 0.5])
    assert (single.low, single.high) == pytest.approx((0.49, 0.51))  # a tenth of a tenth of the range
    assert tune.Choice(["relu", "elu", "tanh"]).narrow(["tanh", "relu", "relu"]).options == ["relu", "tanh"]


@pytest.mark.parametrize("make, error, match", [
    (lambda: tune.Uniform(1.0, 0.0), ValueError, "at most high"),
    (lambda: tune.LogUniform(0.0, 1.0), ValueError, "log space"),
    (lambda: tune.IntUniform(1.5, 4), TypeError, "an integer"),
    (lambda: tune.Uniform(0.0, float("inf")), TypeError, "finite number"),
    (lambda: tune.Choice([]), ValueError, "at least one"),
    (lambda: tune.Choice("relu"), TypeError, "a list"),
])
def test_bad_distributions_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make()


# ----- the search, in one process --------------------------------------------------------------
def test_later_rounds_search_a_narrowed_space_that_holds_the_best_values():
    results = tune.random_search(tune_objectives.bowl, SPACE, trials=20, rounds=3, keep=0.25, seed=1)
    assert len(results) == 60 and [r["round"] for r in results].count(2) == 20
    first, last = results.spaces[0]["learning_rate"], results.spaces[-1]["learning_rate"]
    assert first.low < last.low < 1e-2 < last.high < first.high  # zoomed in around the floor
    assert results.spaces[-1]["loss"] == "mse"
    best_by_round = [min(r["score"] for r in results if r["round"] == k) for k in range(3)]
    assert best_by_round[2] < best_by_round[0]
    assert results.best["score"] == min(r["score"] for r in results) < 0.1
    assert results.best["params"]["loss"] == "mse" and "trial" in str(results).splitlines()[0]


def test_the_same_seed_gives_the_same_search_and_max_mode_ranks_the_other_way():
    first = tune.random_search(tune_objectives.bowl, SPACE, trials=8, rounds=2, seed=3)
    again = tune.random_search(tune_objectives.bowl, SPACE, trials=8, rounds=2, seed=3)
    assert [(r["params"], r["score"]) for r in first] == [(r["params"], r["score"]) for r in again]
    highest = tune.random_search(tune_objectives.bowl, SPACE, trials=8, rounds=1, seed=3, mode="max")
    assert highest.best["score"] == max(r["score"] for r in highest)


def test_failed_trials_are_recorded_last_and_the_search_goes_on():
    space = {**SPACE, "activation": tune.Choice(["relu", "tanh"])}
    results = tune.random_search("tests.tune_objectives:fails_on_tanh", space, trials=12, seed=0)
    failed = [r for r in results if r["score"] is None]
    assert failed and all(r["params"]["activation"] == "tanh" for r in failed)
    assert all("tanh is not wanted" in r["error"] for r in failed) and results[-1] in failed
    with pytest.raises(RuntimeError, match="every trial of round 1 failed.*tanh is not wanted"):
        tune.random_search(tune_objectives.fails_on_tanh, {**SPACE, "activation": "tanh"}, trials=3)


def test_bad_search_arguments_are_refused(tmp_path):
    with pytest.raises(TypeError, match="space"):
        tune.random_search(tune_objectives.bowl, [("units", 3)])
    with pytest.raises(ValueError, match="mode"):
        tune.random_search(tune_objectives.bowl, SPACE, mode="lowest")
    with pytest.raises(ValueError, match="importable"):
        tune.random_search("tests.tune_objectives:no_such_function", SPACE)
    with pytest.raises(ValueError, match="module:function"):
        tune.random_search(lambda p: 0.0, SPACE, directory=tmp_path)  # other machines could not import it
    with pytest.raises(ValueError, match="JSON values"):
        tune.random_search("tests.tune_objectives:bowl", {**SPACE, "make": tune.Choice([object()])},
                           directory=tmp_path)
    assert list(tmp_path.iterdir()) == []  # refused before anything was written
    with pytest.raises(ValueError, match="work_too"):
        tune.random_search(tune_objectives.bowl, SPACE, work_too=False)


# ----- many workers through a folder -------------------------------------------------------------
def search_in_a_thread(*args, wait=120, **kwargs):
    """Start random_search in a daemon thread; `finish()` returns its results, or fails after `wait`
    seconds (a broken hand-over would otherwise wait forever)."""
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(results=tune.random_search(*args, **kwargs)),
                              daemon=True)
    thread.start()

    def finish():
        thread.join(timeout=wait)
        assert "results" in outcome, f"the search did not finish within {wait} s"
        return outcome["results"]
    return finish


def start_worker(directory):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([sys.executable, "-m", "trainwell.tune", "work", str(directory), "--idle-exit", "60"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("work_too", [True, False], ids=["search_works_too", "workers_only"])
def test_workers_sharing_a_folder_give_the_one_process_results_each_trial_run_once(tmp_path, work_too):
    local = tune.random_search(tune_objectives.bowl_with_pid, SPACE, trials=12, rounds=2, seed=7)
    workers = [start_worker(tmp_path) for _ in range(2)]  # before the search: they wait for its folder
    try:
        shared = search_in_a_thread("tests.tune_objectives:bowl_with_pid", SPACE, trials=12, rounds=2, seed=7,
                                    directory=tmp_path, work_too=work_too)()
        for worker in workers:
            output, errors = worker.communicate(timeout=60)  # closes the pipes too
            assert worker.returncode == 0, errors
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    assert [(r["name"], r["params"], r["score"]) for r in shared] == [(r["name"], r["params"], r["score"]) for r in local]
    ran_by = {r["extra"]["pid"] for r in shared}
    if work_too:
        assert ran_by <= {os.getpid()} | {w.pid for w in workers}
    else:  # every trial ran in a worker process, none in this one
        assert ran_by <= {w.pid for w in workers} and os.getpid() not in ran_by
    assert sorted(p.name for p in (tmp_path / "results").glob("*.json")) == sorted(f"{r['name']}.json" for r in shared)
    assert not list((tmp_path / "trials").glob("*.json")) and not list((tmp_path / "running").glob("*.json"))
    assert json.loads((tmp_path / "search.json").read_text())["status"] == "finished"


def test_a_trial_claimed_by_a_worker_that_died_is_put_back_and_run(tmp_path):
    finish = search_in_a_thread("tests.tune_objectives:bowl", SPACE, trials=6, seed=4, directory=tmp_path,
                                work_too=False, stale_after=1.0, wait=60)
    trials = tmp_path / "trials"
    while len(list(trials.glob("*.json"))) < 6:
        time.sleep(0.01)
    claimed = tmp_path / "running" / "r00-t0003.json"
    os.rename(trials / "r00-t0003.json", claimed)  # claimed by a worker that then died
    worker = start_worker(tmp_path)
    try:
        results = finish()
        worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0 and len(results) == 6 and all(r["score"] is not None for r in results)
    assert not claimed.exists() and (tmp_path / "results" / "r00-t0003.json").exists()


def test_a_restarted_search_keeps_the_results_it_has(tmp_path):
    # the first search dies after writing its trials; a worker claimed one and died with it
    first = tune.random_search("tests.tune_objectives:bowl", SPACE, trials=4, seed=2, directory=tmp_path / "done")
    board = tmp_path / "search"
    search_json = json.loads((tmp_path / "done" / "search.json").read_text())
    for folder in ("trials", "running", "results"):
        (board / folder).mkdir(parents=True)
    (board / "search.json").write_text(json.dumps({**search_json, "status": "running"}))
    records = sorted(first, key=lambda r: r["name"])
    (board / "results" / "r00-t0000.json").write_text(json.dumps({**records[0], "worker": "earlier"}))
    claimed = board / "running" / "r00-t0001.json"
    claimed.write_text(json.dumps({"name": "r00-t0001", "round": 0, "params": records[1]["params"],
                                   "objective": "tests.tune_objectives:bowl"}))
    old = time.time() - 3600
    os.utime(claimed, (old, old))
    again = search_in_a_thread("tests.tune_objectives:bowl", SPACE, trials=4, seed=2, directory=board,
                               stale_after=60)()
    assert [(r["name"], r["score"]) for r in again] == [(r["name"], r["score"]) for r in first]
    workers = {r["name"]: r["worker"] for r in again}
    assert workers["r00-t0000"] == "earlier"  # a trial with a result is not run again
    assert not claimed.exists()
    with pytest.raises(ValueError, match="another search"):
        tune.random_search("tests.tune_objectives:bowl", SPACE, trials=5, seed=2, directory=board)


def test_a_worker_on_a_folder_without_a_search_says_so(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "trainwell.tune", "work", str(tmp_path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "holds no search" in result.stderr
