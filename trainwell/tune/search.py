"""Random search with range narrowing, in one process or over many machines sharing a folder.

    results = tune.random_search("experiments:score", space, trials=30, rounds=2, seed=0)
    results.best           # {"params": {...}, "score": 0.087, "round": 1, ...}

`objective(params)` returns a score (lower is better with mode="min") or a dict with a "score" and
other numbers to keep. It is a callable, or "module:function" text: what other machines import.
Round 1 draws `trials` configurations from `space`; each later round draws `trials` more from the
space narrowed to the best `keep` share of every result so far (space.narrowed).

Many machines: give `directory`, a folder they all see. Each round's trials are written there as
files; `python -m trainwell.tune work DIRECTORY` on any machine takes one at a time (an atomic rename
claims a file), runs it and writes its result; the searching process works on trials too (unless
work_too=False), and puts back a claimed trial whose worker has not shown life for `stale_after` seconds (workers touch their
claim every stale_after / 4 seconds, 5 at most). A trial with a result is never run again, so a search started again on the
same folder goes on where it stopped. The numbers are those of a one-process run with the same seed,
whichever machine ran each trial.
"""
import importlib
import json
import math
import os
import socket
import threading
import time
from pathlib import Path

import numpy

from trainwell import io
from trainwell._errors import bad_type, bad_value, check_choice, check_number
from trainwell.tune.space import Choice, Distribution, check_space, narrowed, sample

POLL_SECONDS = 0.2
HEARTBEAT_SECONDS = 5.0  # at most this long between a worker's touches of its claim (stale_after / 4 if less)


def random_search(objective, space, trials=20, rounds=1, keep=0.25, mode="min", seed=0, directory=None,
                  stale_after=600.0, work_too=True):
    """Run the search; returns Results (best first). Arguments as in the module docstring."""
    where = "random_search"
    space = check_space(space, where)
    trials = check_number(where, "trials", trials, low=1, integer=True)
    rounds = check_number(where, "rounds", rounds, low=1, integer=True)
    keep = check_number(where, "keep", keep, low=0, high=1, low_open=True)
    check_choice(where, "mode", mode, ("min", "max"))
    stale_after = check_number(where, "stale_after", stale_after, low=0, low_open=True)
    if not work_too and directory is None:
        raise bad_value(where, "work_too", "True without a `directory` (no one else could run the trials)",
                        work_too)
    function, name = _resolve(objective, where, needs_name=directory is not None)
    if directory is not None:
        _check_json_values(space, where)
    rng = numpy.random.default_rng(seed)
    board = _Board(directory, {"objective": name, "space": repr(space), "seed": seed, "trials": trials,
                               "rounds": rounds, "keep": keep, "mode": mode, "stale_after": stale_after}
                   ) if directory is not None else None
    results, current, spaces = [], space, []
    for round_number in range(rounds):
        spaces.append(current)
        configs = [sample(current, rng) for _ in range(trials)]
        names = [f"r{round_number:02d}-t{index:04d}" for index in range(trials)]
        if board is None:
            results += [_run_trial(function, name_, round_number, params) for name_, params in zip(names, configs)]
        else:
            results += board.run_round(function if work_too else None, names, round_number, configs)
        ranked = _ranked(results, mode)
        good = [r["params"] for r in ranked if r["score"] is not None]
        if not good:
            raise RuntimeError(f"{where}: every trial of round {round_number + 1} failed; the first error: "
                               f"{results[-trials]['error']}")
        current = narrowed(space, good[:max(1, math.ceil(keep * len(good)))])
    if board is not None:
        board.finish()
    return Results(_ranked(results, mode), spaces)


class Results(list):
    """Every trial's record, best first (failed trials last); `best`, and `spaces` (one per round)."""

    def __init__(self, records, spaces):
        super().__init__(records)
        self.spaces = spaces

    @property
    def best(self):
        return self[0]

    def __str__(self):
        lines = [f"{'trial':<12} {'score':>12}  params"]
        for record in self:
            score = "failed" if record["score"] is None else f"{record['score']:.6g}"
            lines.append(f"{record['name']:<12} {score:>12}  {record['params']}")
        return "\n".join(lines)


def work(directory, poll=POLL_SECONDS, idle_exit=None):
    """Take and run trials from a search's `directory` until the search says it is finished (or, with
    `idle_exit` seconds, until no trial has appeared for that long; then a worker may also be started
    before the search and waits for it that long). Returns how many trials it ran."""
    started = time.monotonic()
    while not (Path(directory) / "search.json").exists() and idle_exit is not None:  # started before the search
        if time.monotonic() - started > idle_exit:
            break
        time.sleep(poll)
    board = _Board(directory)
    ran, idle_since = 0, time.monotonic()
    while True:
        trial = board.claim()
        if trial is not None:
            function, _ = _resolve(trial["objective"], "tune.work", needs_name=False)
            board.run_claimed(function, trial)
            ran, idle_since = ran + 1, time.monotonic()
        elif board.finished() or (idle_exit is not None and time.monotonic() - idle_since > idle_exit):
            return ran
        else:
            time.sleep(poll)


def _run_trial(function, name, round_number, params, worker=None):
    start = time.perf_counter()
    record = {"name": name, "round": round_number, "params": params, "score": None, "extra": {},
              "error": None, "worker": worker or _worker_name()}
    try:
        value = function(dict(params))
        extra = dict(value) if isinstance(value, dict) else {}
        score = float(extra.pop("score") if isinstance(value, dict) else value)
        if not math.isfinite(score):
            raise ValueError(f"the score is {score}")
        record["score"], record["extra"] = score, {k: _plain(v) for k, v in extra.items()}
    except Exception as error:  # a failed trial is recorded and ranked last, the search goes on
        record["error"] = f"{type(error).__name__}: {error}"
    record["seconds"] = time.perf_counter() - start
    return record


def _ranked(results, mode):
    finite = sorted((r for r in results if r["score"] is not None),
                    key=lambda r: (r["score"] if mode == "min" else -r["score"], r["name"]))
    return finite + [r for r in results if r["score"] is None]


def _resolve(objective, where, needs_name):
    """(callable, "module:function" or None) from a callable or from "module:function" text."""
    if isinstance(objective, str):
        module, _, attribute = objective.partition(":")
        if not module or not attribute:
            raise bad_value(where, "objective", "'module:function' text or a callable", objective)
        try:
            target = importlib.import_module(module)
            for part in attribute.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError) as error:
            raise bad_value(where, "objective", "an importable 'module:function'", objective, str(error)) from None
        return target, objective
    if not callable(objective):
        raise bad_type(where, "objective", "a callable or 'module:function' text", objective)
    module, qualname = getattr(objective, "__module__", None), getattr(objective, "__qualname__", "")
    if needs_name and (module in (None, "__main__") or "<" in qualname):
        raise bad_value(where, "objective", "importable by other machines when `directory` is given",
                        objective, "Define it at the top level of a module and pass 'module:function'.")
    return objective, f"{module}:{qualname}"


def _check_json_values(space, where):
    """Trials travel through the folder as JSON: every fixed value and Choice option must be one."""
    for name, value in space.items():
        values = value.options if isinstance(value, Choice) else [] if isinstance(value, Distribution) else [value]
        try:
            json.dumps(values, allow_nan=False)
        except (TypeError, ValueError):
            raise bad_value(where, f"space[{name!r}]", "JSON values (numbers, strings, lists, dicts) when a "
                            "`directory` carries the trials", value) from None


def _plain(value):
    return float(value) if isinstance(value, (numpy.floating, numpy.integer)) else value


def _worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


class _Board:
    """The shared folder: trials/ (waiting), running/ (claimed), results/, and search.json."""

    def __init__(self, directory, description=None):
        """A searching process gives its `description` (written to search.json); a worker reads it."""
        self.root = Path(directory)
        self.search_file = self.root / "search.json"
        self.folders = {name: self.root / name for name in ("trials", "running", "results")}
        found = self._read_json(self.search_file)
        if description is None:  # a worker: the search must exist
            if found is None:
                raise FileNotFoundError(f"tune.work: {str(directory)!r} holds no search (no search.json); start "
                                        "random_search(..., directory=...) on it first.")
            self.description = found
            return
        for folder in self.folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        if found is not None and _identity(found) != _identity(description):
            raise ValueError(f"random_search: {str(directory)!r} holds another search ({found}); use a new "
                             "folder, or the same objective, space and settings to go on with that one.")
        self.description = description
        self._write_json(self.search_file, {**description, "status": "running"})

    def run_round(self, function, names, round_number, configs):
        for name, params in zip(names, configs):
            if not (self.folders["results"] / f"{name}.json").exists():
                self._write_json(self.folders["trials"] / f"{name}.json",
                                 {"name": name, "round": round_number, "params": params,
                                  "objective": self.description["objective"]})
        while True:
            records = [self._read_json(self.folders["results"] / f"{name}.json") for name in names]
            if all(record is not None for record in records):
                return records
            trial = self.claim() if function is not None else None
            if trial is not None:
                self.run_claimed(function, trial)
            else:
                self._requeue_stale()
                time.sleep(POLL_SECONDS)

    def claim(self):
        for path in sorted(self.folders["trials"].glob("*.json")):
            claimed = self.folders["running"] / path.name
            try:
                os.rename(path, claimed)  # atomic: exactly one claimant succeeds
            except FileNotFoundError:
                continue
            os.utime(claimed)
            trial = self._read_json(claimed)
            if trial is not None:
                return trial
        return None

    def run_claimed(self, function, trial):
        claimed = self.folders["running"] / f"{trial['name']}.json"
        alive = threading.Event()
        every = min(HEARTBEAT_SECONDS, self.description["stale_after"] / 4)
        beat = threading.Thread(target=_heartbeat, args=(claimed, alive, every), daemon=True)
        beat.start()
        try:
            record = _run_trial(function, trial["name"], trial["round"], trial["params"])
        finally:
            alive.set()
            beat.join()
        self._write_json(self.folders["results"] / f"{trial['name']}.json", record)
        claimed.unlink(missing_ok=True)

    def finished(self):
        found = self._read_json(self.search_file)
        return found is not None and found.get("status") == "finished"

    def finish(self):
        self._write_json(self.search_file, {**self.description, "status": "finished"})

    def _requeue_stale(self):
        for path in self.folders["running"].glob("*.json"):
            try:
                if time.time() - path.stat().st_mtime > self.description["stale_after"]:
                    os.rename(path, self.folders["trials"] / path.name)
            except FileNotFoundError:  # finished or requeued meanwhile
                continue

    @staticmethod
    def _write_json(path, payload):
        with io.atomic_write(path, mode="w", encoding="utf-8") as handle:
            json.dump(payload, handle)

    @staticmethod
    def _read_json(path):
        try:
            return json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None


def _identity(description):
    """What makes two searches the same one: all but the status and the patience with workers."""
    return {key: value for key, value in description.items() if key not in ("status", "stale_after")}


def _heartbeat(path, stop, every):
    """Touch a claimed trial's file while it runs, so the search sees its worker is alive."""
    while not stop.wait(every):
        try:
            os.utime(path)
        except FileNotFoundError:
            return
