"""Unsupervised pretraining with 50 labels: a digits classifier on greedily pretrained autoencoder
layers against the same classifier from scratch, test accuracy over seeds.

Protocol: docs/EVIDENCE.md §5. Full run: `python examples/pretraining.py --seeds 30`;
CI: `--quick` (seeds 0–2). Writes pretraining.json and .png to --out.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # 64-unit layers: one BLAS thread is fastest (EVIDENCE.md)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pathlib  # noqa: E402

from trainwell.lab.experiments import _report, few_labels, pretraining  # noqa: E402

NAME = "pretraining"
MEASURES = ("pretrained_accuracy", "scratch_accuracy", "difference")


def main(argv=None):
    args = _report.arguments(__doc__.splitlines()[0], pathlib.Path(__file__).parent / "out", argv)
    per_seed = []
    for seed in args.seeds:
        result = {"seed": seed, **pretraining(seed)}
        per_seed.append(result)
        stages = "; ".join(f"stage {k + 1} {s['before']:.3f} → {s['after']:.3f}"
                           for k, s in enumerate(result["reconstruction"]))
        print(f"seed {seed}: test accuracy pretrained {result['pretrained_accuracy']:.4f}, scratch "
              f"{result['scratch_accuracy']:.4f}; reconstruction {stages}")
    summary = {m: _report.summarize([r[m] for r in per_seed]) for m in MEASURES}
    summary["pretrained_minus_scratch"] = _report.ways([r["difference"] for r in per_seed])
    summary["stages_improved_seeds"] = sum(all(s["after"] < s["before"] for s in r["reconstruction"])
                                           for r in per_seed)

    print(f"\nPretraining with {per_seed[0]['labeled_samples']} labels over {len(args.seeds)} seeds: "
          "mean ± std [min, max]")
    ways = summary["pretrained_minus_scratch"]
    _report.print_table(["measure", "value"], [
        ["test accuracy, pretrained", _report.band_text(summary["pretrained_accuracy"], 4)],
        ["test accuracy, scratch", _report.band_text(summary["scratch_accuracy"], 4)],
        ["pretrained − scratch", _report.band_text(summary["difference"], 4)],
        ["seeds pretrained better / worse / equal", f"{ways['above']} / {ways['below']} / {ways['equal']}"],
        ["seeds where every stage's reconstruction improved",
         f"{summary['stages_improved_seeds']} of {len(per_seed)}"]])
    settings = {"units": list(few_labels.UNITS), "labels_per_class": few_labels.LABELS_PER_CLASS,
                "pretrain_epochs": few_labels.PRETRAIN_EPOCHS, "finetune_epochs": few_labels.FINETUNE_EPOCHS,
                "batch_size": few_labels.BATCH_SIZE, "optimizer": "Adam()"}
    _report.finish(args, NAME, settings, per_seed, summary, lambda plt: draw(plt, per_seed))


def draw(plt, per_seed):
    """Per seed: test accuracy from scratch vs pretrained; the distribution of the difference."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    _report.paired(left, [r["scratch_accuracy"] for r in per_seed], [r["pretrained_accuracy"] for r in per_seed],
                   ["scratch", "pretrained"], "test accuracy", "50 labels, one line per seed")
    _report.strip(right, [r["difference"] for r in per_seed], 0.0, "test accuracy, pretrained − scratch",
                  "distribution over seeds")
    figure.suptitle(f"Greedy autoencoder pretraining on 1,258 unlabeled digits — {len(per_seed)} seeds")
    return figure


if __name__ == "__main__":
    main()
