"""What the workload examples share: their command line, the offline switch, the JSON record, and the
bundled stand-in data (a synthetic Titanic-like CSV, synthetic bag-of-words reviews) used when the real
data is not on this machine.

Offline: with TRAINWELL_OFFLINE=1 in the environment an example never calls a downloader; it uses the
real data only when its files are already in the cache ($TRAINWELL_DATA_DIR, else ~/.trainwell/datasets)
and the stand-in otherwise. Without it, a download is tried once and any failure falls back to the
stand-in. The tests set TRAINWELL_OFFLINE=1 and an empty TRAINWELL_DATA_DIR, so they never touch the network.
"""
import argparse
import csv
import json
import math
import os
import pathlib

import numpy

from trainwell.io import atomic_write

OFFLINE_ENVIRONMENT_VARIABLE = "TRAINWELL_OFFLINE"
TITANIC_COLUMNS = ("PassengerId", "Survived", "Pclass", "Sex", "Age", "SibSp", "Parch", "Fare", "Embarked")


def arguments(description, default_out, argv=None, extra=None):
    """Parse --quick (few epochs on a small sample, for CI), --out DIR (default `default_out`) and
    --seed N (default 0); `extra(parser)` may add an example's own options."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="few epochs on a small sample (CI, seconds)")
    parser.add_argument("--out", type=pathlib.Path, default=default_out, help=f"output folder (default {default_out})")
    parser.add_argument("--seed", type=int, default=0, help="seed for the split, the weights and the stand-in data")
    if extra is not None:
        extra(parser)
    return parser.parse_args(argv)


def offline():
    """True when $TRAINWELL_OFFLINE is set to anything but '', '0' or 'false': never download."""
    return os.environ.get(OFFLINE_ENVIRONMENT_VARIABLE, "").strip().lower() not in ("", "0", "false")


def say_data(source):
    """Print the line every example prints: which data it trained on."""
    print(f"data: {source}")


def write_record(out, name, record):
    """Write `out/name.json` (atomically) and say where."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    with atomic_write(path) as handle:
        handle.write(json.dumps({"example": name, **record}, indent=1, allow_nan=False).encode())
    print(f"numbers: {path}")
    return path


def titanic_csv(path, rows=891, seed=0):
    """Write a synthetic Titanic-like table to `path` (the real passenger list is not shipped).

    Columns as Kaggle's train.csv minus Name/Ticket/Cabin: PassengerId, Survived, Pclass (1-3, drawn
    with shares 0.24/0.21/0.55), Sex (female with p 0.35), Age (normal, mean 30, sd 14, clipped to
    [0.5, 80], missing with p 0.2), SibSp, Parch (Poisson 0.5 and 0.4), Fare (log-normal, higher in
    first class), Embarked (S/C/Q with p 0.72/0.19/0.09, missing with p 0.01). Survived is drawn from
    Bernoulli(sigmoid(z)) with the logistic rule
        z = 0.6 + 2.5·[Sex = female] − 1.0·(Pclass − 1) − 0.03·(Age − 30) − 0.35·SibSp,
    Age taken before it is hidden; a model can reach about 80% accuracy on it, as on the real data.
    """
    rng = numpy.random.default_rng(seed)
    pclass = rng.choice([1, 2, 3], size=rows, p=[0.24, 0.21, 0.55])
    female = rng.random(rows) < 0.35
    age = numpy.clip(rng.normal(30.0, 14.0, rows), 0.5, 80.0).round(1)
    sibsp, parch = rng.poisson(0.5, rows), rng.poisson(0.4, rows)
    fare = numpy.exp(rng.normal(numpy.array([4.2, 3.0, 2.3])[pclass - 1], 0.5)).round(2)
    embarked = rng.choice(["S", "C", "Q"], size=rows, p=[0.72, 0.19, 0.09])
    z = 0.6 + 2.5 * female - 1.0 * (pclass - 1) - 0.03 * (age - 30.0) - 0.35 * sibsp
    survived = (rng.random(rows) < 1.0 / (1.0 + numpy.exp(-z))).astype(int)
    age_missing, embarked_missing = rng.random(rows) < 0.2, rng.random(rows) < 0.01
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TITANIC_COLUMNS)
        for i in range(rows):
            writer.writerow([i + 1, survived[i], pclass[i], "female" if female[i] else "male",
                             "" if age_missing[i] else age[i], sibsp[i], parch[i], fare[i],
                             "" if embarked_missing[i] else embarked[i]])
    return path


def reviews(samples, num_words, seed=0, length=(30, 120), signal_words=200, signal_share=0.25):
    """Synthetic movie reviews as Keras-convention word-index lists, labels 1 (positive) or 0.

    Indices follow imdb.load_data's convention (1 starts each review, real words are 3 .. num_words−1).
    Of the words 3 .. num_words−1, the first `signal_words` are "positive" and the next `signal_words`
    "negative"; every other word is neutral. A review has a uniform length in `length`; each word is,
    with probability `signal_share`, a sentiment word (of its label's kind with p 0.75, the other kind
    with p 0.25), else a neutral word drawn with Zipf-like weights 1/rank. Labels are balanced.
    """
    rng = numpy.random.default_rng(seed)
    positive = numpy.arange(3, 3 + signal_words)
    negative = positive + signal_words
    neutral = numpy.arange(3 + 2 * signal_words, num_words)
    weights = 1.0 / numpy.arange(1, len(neutral) + 1)
    weights /= weights.sum()
    labels = rng.permutation(numpy.arange(samples) % 2)
    sequences = []
    for label in labels:
        n = int(rng.integers(length[0], length[1] + 1))
        words = rng.choice(neutral, size=n, p=weights)
        signal = rng.random(n) < signal_share
        own_kind = rng.random(n) < 0.75
        kind_is_positive = own_kind == bool(label)
        words[signal] = numpy.where(kind_is_positive[signal], rng.choice(positive, size=n)[signal],
                                    rng.choice(negative, size=n)[signal])
        sequences.append([1, *words.tolist()])
    return sequences, labels.astype(numpy.int64)


def multi_hot(sequences, dimension):
    """The lecture's vectorization: row i has 1.0 at every word index in sequences[i] (index < dimension)."""
    x = numpy.zeros((len(sequences), dimension), dtype=numpy.float32)
    for row, sequence in enumerate(sequences):
        indices = numpy.asarray(sequence, dtype=numpy.int64)
        x[row, indices[indices < dimension]] = 1.0
    return x


def finite(value):
    """A float for JSON, None where the value is not finite."""
    value = float(value)
    return value if math.isfinite(value) else None
