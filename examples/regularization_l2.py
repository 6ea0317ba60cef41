"""L2 weight decay on a network made to overfit (300 digits, six hidden layers of 100): train and test
accuracy, their gap and the weight norm per λ, over seeds.

Protocol: docs/EVIDENCE.md §1. Full run: `python examples/regularization_l2.py --seeds 30`;
CI: `--quick` (seeds 0–2, λ in {0, 0.003, 0.03, 0.1}). Writes regularization_l2.json and .png to --out.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # 100-unit layers: one BLAS thread is fastest (EVIDENCE.md)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pathlib  # noqa: E402

from trainwell.lab.experiments import _report, l2_sweep  # noqa: E402
from trainwell.lab.experiments import overfitting  # noqa: E402

NAME = "regularization_l2"
QUICK_FACTORS = (0.0, 0.003, 0.03, 0.1)
MEASURES = ("train_accuracy", "test_accuracy", "gap", "train_loss", "weight_norm")


def main(argv=None):
    args = _report.arguments(__doc__.splitlines()[0], pathlib.Path(__file__).parent / "out", argv)
    factors = QUICK_FACTORS if args.quick else overfitting.L2_FACTORS
    per_seed = []
    for seed in args.seeds:
        rows = l2_sweep(seed, factors=factors)
        per_seed.append({"seed": seed, "rows": rows})
        print(f"seed {seed}: train/test accuracy " + ", ".join(
            f"λ={row['l2']:g} {row['train_accuracy']:.3f}/{row['test_accuracy']:.3f}" for row in rows))
    summary = _report.sweep_summary(per_seed, "l2", MEASURES)

    print(f"\nL2 sweep over {len(args.seeds)} seeds: mean ± std [min, max]; seeds above/below/equal to λ = 0")
    _report.print_table(
        ["λ", "train accuracy", "test accuracy", "gap (train − test)", "weight norm", "test acc vs λ=0",
         "train acc vs λ=0"],
        [[f"{entry['l2']:g}", *(_report.band_text(entry[m]) for m in ("train_accuracy", "test_accuracy", "gap")),
          _report.band_text(entry["weight_norm"], 2),
          _report.ways_text(entry["vs_baseline"]["test_accuracy"]),
          _report.ways_text(entry["vs_baseline"]["train_accuracy"])]
         for entry in summary])
    settings = {"factors": list(factors), "train_samples": overfitting.TRAIN_SAMPLES,
                "hidden": list(overfitting.HIDDEN), "epochs": overfitting.EPOCHS,
                "batch_size": overfitting.BATCH_SIZE, "learning_rate": overfitting.LEARNING_RATE}
    _report.finish(args, NAME, settings, per_seed, summary, lambda plt: draw(plt, per_seed, factors))


def draw(plt, per_seed, factors):
    """Accuracy, gap and weight norm against λ, mean line and min–max band over seeds."""
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(14, 4.2))
    x = list(range(len(factors)))
    series = {m: [[row[m] for row in seed["rows"]] for seed in per_seed] for m in MEASURES}
    _report.band(left, x, series["train_accuracy"], "train")
    _report.band(left, x, series["test_accuracy"], "test")
    _report.band(middle, x, series["gap"], "train − test")
    _report.band(right, x, series["weight_norm"], "sqrt(Σ‖W‖²)")
    for axes, title in ((left, "accuracy"), (middle, "generalization gap"), (right, "weight norm")):
        axes.set_xticks(x, [f"{factor:g}" for factor in factors])
        axes.set_xlabel("L2 factor λ")
        axes.set_title(title)
        axes.legend(fontsize=8)
    figure.suptitle(f"L2 on 300 digits, 6×100 relu, SGD 0.01, 200 epochs — {len(per_seed)} seeds")
    return figure


if __name__ == "__main__":
    main()
