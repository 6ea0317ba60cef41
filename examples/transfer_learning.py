"""Transfer learning on digits (A = classes 0–7, B = 8 vs 9 from 40 samples): B's test error from
scratch and on A's cloned layers, the error ratio scratch / transfer as a distribution over seeds,
and the mechanics (A untouched, frozen layers still, shared layers shared) in every seed.

Protocol: docs/EVIDENCE.md §4. Full run: `python examples/transfer_learning.py --seeds 30`;
CI: `--quick` (seeds 0–2). Writes transfer_learning.json and .png to --out.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # 100-unit layers: one BLAS thread is fastest (EVIDENCE.md)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import math  # noqa: E402
import pathlib  # noqa: E402
import statistics  # noqa: E402

from trainwell.lab.experiments import _report, transfer, transfer_learning  # noqa: E402

NAME = "transfer_learning"
MEASURES = ("a_error", "scratch_error", "transfer_error", "error_ratio")
MECHANICS = ("a_unchanged", "frozen_still", "moved_after_unfreeze", "shared_moves_a")


def main(argv=None):
    args = _report.arguments(__doc__.splitlines()[0], pathlib.Path(__file__).parent / "out", argv)
    per_seed = []
    for seed in args.seeds:
        result = {"seed": seed, **transfer(seed)}
        per_seed.append(result)
        ratio = result["error_ratio"]
        print(f"seed {seed}: A error {result['a_error']:.4f}; B error scratch {result['scratch_error']:.4f}, "
              f"transfer {result['transfer_error']:.4f}, ratio {'n/a' if ratio is None else f'{ratio:.2f}'}; "
              + ", ".join(f"{m} {result[m]}" for m in MECHANICS))
    summary = {m: _report.summarize([r[m] for r in per_seed]) for m in MEASURES}
    ratios = [r["error_ratio"] for r in per_seed if r["error_ratio"] is not None]
    summary["error_ratio"]["median"] = statistics.median(ratios) if ratios else None
    summary["error_ratio"]["geometric_mean"] = math.exp(sum(map(math.log, ratios)) / len(ratios)) \
        if ratios and min(ratios) > 0 else None
    summary["scratch_minus_transfer_error"] = _report.ways([r["scratch_error"] - r["transfer_error"]
                                                           for r in per_seed])
    summary["mechanics_seeds"] = {m: sum(r[m] for r in per_seed) for m in MECHANICS}

    print(f"\nTransfer over {len(args.seeds)} seeds: mean ± std [min, max]")
    ways = summary["scratch_minus_transfer_error"]
    ratio = summary["error_ratio"]
    _report.print_table(["measure", "value"], [
        ["A error (digits 0–7)", _report.band_text(summary["a_error"], 4)],
        ["B error from scratch", _report.band_text(summary["scratch_error"], 4)],
        ["B error with transfer", _report.band_text(summary["transfer_error"], 4)],
        ["ratio scratch / transfer", _report.band_text(ratio, 2)],
        ["ratio median, geometric mean", "n/a" if not ratios else
         f"{ratio['median']:.2f}, " + ("n/a" if ratio["geometric_mean"] is None else f"{ratio['geometric_mean']:.2f}")],
        ["seeds transfer better / worse / equal", f"{ways['above']} / {ways['below']} / {ways['equal']}"],
        ["seeds where transfer made no error (no ratio)", str(ratio["missing"])],
        *[[f"mechanics: {m}", f"{summary['mechanics_seeds'][m]} of {len(per_seed)} seeds"] for m in MECHANICS]])
    settings = {"hidden": list(transfer_learning.HIDDEN), "b_per_class": transfer_learning.B_PER_CLASS,
                "epochs_a": transfer_learning.EPOCHS_A, "epochs_b": transfer_learning.EPOCHS_B,
                "frozen_epochs": transfer_learning.FROZEN_EPOCHS, "batch_size_a": transfer_learning.BATCH_SIZE_A,
                "batch_size_b": transfer_learning.BATCH_SIZE_B, "optimizer": "Adam()"}
    _report.finish(args, NAME, settings, per_seed, summary, lambda plt: draw(plt, per_seed))


def draw(plt, per_seed):
    """Per seed: B's error from scratch vs with transfer; the distribution of the ratio (log scale)."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    _report.paired(left, [r["scratch_error"] for r in per_seed], [r["transfer_error"] for r in per_seed],
                   ["scratch", "transfer"], "test error on 8 vs 9", "B's error, one line per seed")
    ratios = [r["error_ratio"] for r in per_seed if r["error_ratio"] is not None]
    _report.strip(right, ratios, 1.0, "error ratio scratch / transfer (above 1: transfer helped)",
                  f"{len(ratios)} seeds with a ratio ({len(per_seed) - len(ratios)} without: transfer error 0)",
                  log=bool(ratios) and min(ratios) > 0)
    figure.suptitle(f"Transfer from digits 0–7 to 8 vs 9 (40 samples) — {len(per_seed)} seeds")
    return figure


if __name__ == "__main__":
    main()
