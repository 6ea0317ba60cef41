"""Monte Carlo dropout on digits: the spread of 100 stochastic predictions on wrong and right answers,
and the MC mean against the one deterministic prediction (accuracy, log loss), over seeds.

Protocol: docs/EVIDENCE.md §3. Full run: `python examples/mc_dropout.py --seeds 30`;
CI: `--quick` (seeds 0–2). Writes mc_dropout.json and .png to --out.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # 128-unit layers: one BLAS thread is fastest (EVIDENCE.md)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pathlib  # noqa: E402

from trainwell.lab.experiments import _report, mc_dropout  # noqa: E402
from trainwell.lab.experiments import monte_carlo  # noqa: E402

NAME = "mc_dropout"
MEASURES = ("deterministic_accuracy", "mc_accuracy", "deterministic_log_loss", "mc_log_loss", "spread_correct",
            "spread_misclassified", "misclassified")


def main(argv=None):
    args = _report.arguments(__doc__.splitlines()[0], pathlib.Path(__file__).parent / "out", argv)
    per_seed = []
    for seed in args.seeds:
        result = {"seed": seed, **mc_dropout(seed)}
        per_seed.append(result)
        spread = result["spread_misclassified"]
        print(f"seed {seed}: accuracy {result['deterministic_accuracy']:.4f} → MC {result['mc_accuracy']:.4f}, "
              f"log loss {result['deterministic_log_loss']:.4f} → MC {result['mc_log_loss']:.4f}, spread right "
              f"{result['spread_correct']:.4f} / wrong {'n/a' if spread is None else f'{spread:.4f}'} "
              f"({result['misclassified']} wrong), BN untouched: {result['bn_unchanged']}")
    summary = {m: _report.summarize([r[m] for r in per_seed]) for m in MEASURES}
    summary["spread_wrong_minus_right"] = _report.ways(
        [None if r["spread_misclassified"] is None else r["spread_misclassified"] - r["spread_correct"]
         for r in per_seed])
    summary["mc_minus_deterministic_accuracy"] = _report.ways(
        [r["mc_accuracy"] - r["deterministic_accuracy"] for r in per_seed])
    summary["mc_minus_deterministic_log_loss"] = _report.ways(
        [r["mc_log_loss"] - r["deterministic_log_loss"] for r in per_seed])
    summary["bn_unchanged_seeds"] = sum(r["bn_unchanged"] for r in per_seed)

    print(f"\nMonte Carlo dropout over {len(args.seeds)} seeds: mean ± std [min, max]")
    _report.print_table(["measure", "deterministic", "MC mean (100 passes)", "MC − det.: seeds above/below/equal"],
                        [["test accuracy", _report.band_text(summary["deterministic_accuracy"], 4),
                          _report.band_text(summary["mc_accuracy"], 4),
                          _report.ways_text(summary["mc_minus_deterministic_accuracy"])],
                         ["test log loss", _report.band_text(summary["deterministic_log_loss"], 4),
                          _report.band_text(summary["mc_log_loss"], 4),
                          _report.ways_text(summary["mc_minus_deterministic_log_loss"])]])
    print()
    _report.print_table(["spread (MC std of the predicted class)", "mean ± std [min, max]"],
                        [["on correct test samples", _report.band_text(summary["spread_correct"], 4)],
                         ["on misclassified test samples", _report.band_text(summary["spread_misclassified"], 4)],
                         ["seeds wrong > right / < / =", _report.ways_text(summary["spread_wrong_minus_right"])],
                         ["BN moving stats bit-identical",
                          f"{summary['bn_unchanged_seeds']} of {len(per_seed)} seeds"]])
    settings = {"rate": monte_carlo.RATE, "hidden": monte_carlo.HIDDEN, "epochs": monte_carlo.EPOCHS,
                "batch_size": monte_carlo.BATCH_SIZE, "samples": monte_carlo.SAMPLES, "optimizer": "Adam()"}
    _report.finish(args, NAME, settings, per_seed, summary, lambda plt: draw(plt, per_seed))


def draw(plt, per_seed):
    """Per seed: the spread on right vs wrong answers; the log loss deterministic vs MC mean."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    seeds = [r for r in per_seed if r["spread_misclassified"] is not None]
    _report.paired(left, [r["spread_correct"] for r in seeds], [r["spread_misclassified"] for r in seeds],
                   ["correct", "misclassified"], "mean MC std of the predicted class", "spread of 100 passes")
    _report.paired(right, [r["deterministic_log_loss"] for r in per_seed], [r["mc_log_loss"] for r in per_seed],
                   ["deterministic", "MC mean"], "test log loss", "prediction quality")
    figure.suptitle(f"Monte Carlo dropout on digits (one line per seed) — {len(per_seed)} seeds")
    return figure


if __name__ == "__main__":
    main()
