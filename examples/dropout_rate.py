"""Dropout rate on a network made to overfit (300 digits, six hidden layers of 100): how fast it fits
the training set, and its final train and test accuracy per rate, over seeds.

Protocol: docs/EVIDENCE.md §2. Full run: `python examples/dropout_rate.py --seeds 30`;
CI: `--quick` (seeds 0–2, rates {0, 0.2, 0.5}). Writes dropout_rate.json and .png to --out.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # 100-unit layers: one BLAS thread is fastest (EVIDENCE.md)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pathlib  # noqa: E402

from trainwell.lab.experiments import _report, dropout_sweep, overfitting  # noqa: E402

NAME = "dropout_rate"
QUICK_RATES = (0.0, 0.2, 0.5)
MEASURES = ("curve_mean", "train_accuracy", "test_accuracy", "gap", "train_loss")


def main(argv=None):
    args = _report.arguments(__doc__.splitlines()[0], pathlib.Path(__file__).parent / "out", argv)
    rates = QUICK_RATES if args.quick else overfitting.DROPOUT_RATES
    per_seed = []
    for seed in args.seeds:
        rows = dropout_sweep(seed, rates=rates)
        per_seed.append({"seed": seed, "rows": rows})
        print(f"seed {seed}: curve mean, train/test accuracy " + ", ".join(
            f"rate={row['rate']:g} {row['curve_mean']:.3f}, {row['train_accuracy']:.3f}/{row['test_accuracy']:.3f}"
            for row in rows))
    summary = _report.sweep_summary(per_seed, "rate", MEASURES)

    print(f"\nDropout sweep over {len(args.seeds)} seeds: mean ± std [min, max]; "
          "seeds above/below/equal to rate 0")
    _report.print_table(
        ["rate", "train-acc curve mean", "final train accuracy", "test accuracy", "gap (train − test)",
         "curve vs rate 0", "test acc vs rate 0"],
        [[f"{entry['rate']:g}", *(_report.band_text(entry[m]) for m in MEASURES[:4]),
          _report.ways_text(entry["vs_baseline"]["curve_mean"]),
          _report.ways_text(entry["vs_baseline"]["test_accuracy"])] for entry in summary])
    settings = {"rates": list(rates), "train_samples": overfitting.TRAIN_SAMPLES, "hidden": list(overfitting.HIDDEN),
                "epochs": overfitting.EPOCHS, "batch_size": overfitting.BATCH_SIZE,
                "learning_rate": overfitting.LEARNING_RATE}
    _report.finish(args, NAME, settings, per_seed, summary, lambda plt: draw(plt, per_seed, rates))


def draw(plt, per_seed, rates):
    """Training-set accuracy per epoch for each rate, and final accuracies against the rate."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for index, rate in enumerate(rates):
        curves = [seed["rows"][index]["train_curve"] for seed in per_seed]
        _report.band(left, list(range(1, len(curves[0]) + 1)), curves, f"rate {rate:g}")
    left.set_xlabel("epoch")
    left.set_ylabel("training-set accuracy (inference mode)")
    left.set_title("fitting the training set")
    left.legend(fontsize=7, ncol=2)
    x = list(range(len(rates)))
    for measure, label in (("train_accuracy", "train"), ("test_accuracy", "test")):
        _report.band(right, x, [[row[measure] for row in seed["rows"]] for seed in per_seed], label)
    right.set_xticks(x, [f"{rate:g}" for rate in rates])
    right.set_xlabel("dropout rate")
    right.set_title("after the last epoch")
    right.legend(fontsize=8)
    figure.suptitle(f"Dropout after each of 6×100 relu layers, 300 digits, SGD 0.01 — {len(per_seed)} seeds")
    return figure


if __name__ == "__main__":
    main()
