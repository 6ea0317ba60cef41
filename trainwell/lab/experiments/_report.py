"""What the evidence scripts share: their command line, seed statistics, the JSON record and the
figure helpers (matplotlib, from the `lab` extra, imported only when a figure is drawn)."""
import argparse
import datetime
import json
import math
import pathlib
import platform
import shlex
import statistics
import sys

from trainwell.io import atomic_write

QUICK_SEEDS = 3


def arguments(description, default_out, argv=None):
    """Parse --seeds N (default 10), --quick (the first 3 seeds and a thinned sweep, for CI) and
    --out DIR (default `default_out`). Returns the namespace with `seeds` as a list: 0 .. N−1."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds, 0 .. N-1 (default 10)")
    parser.add_argument("--quick", action="store_true", help=f"the first {QUICK_SEEDS} seeds and a thinned sweep (CI)")
    parser.add_argument("--out", type=pathlib.Path, default=default_out, help=f"output folder (default {default_out})")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds must be at least 1; got --seeds={args.seeds}.")
    args.seeds = list(range(QUICK_SEEDS if args.quick else args.seeds))
    return args


def summarize(values):
    """mean, std (sample, n − 1; 0 for one value), min, max and n of the values that are not None;
    `missing` counts the None entries (a ratio with a zero denominator, a seed without errors)."""
    present = [float(value) for value in values if value is not None]
    summary = {"n": len(present), "missing": len(values) - len(present)}
    if not present:
        return summary
    mean = sum(present) / len(present)
    spread = math.sqrt(sum((v - mean) ** 2 for v in present) / (len(present) - 1)) if len(present) > 1 else 0.0
    return {**summary, "mean": mean, "std": spread, "min": min(present), "max": max(present)}


def ways(differences):
    """How many seeds went each way: {'above': d > 0, 'below': d < 0, 'equal': d == 0} (None skipped)."""
    present = [d for d in differences if d is not None]
    return {"above": sum(d > 0 for d in present), "below": sum(d < 0 for d in present),
            "equal": sum(d == 0 for d in present)}


def sweep_summary(per_seed, setting, measures):
    """Summaries per sweep setting. per_seed: [{"seed", "rows"}], the rows of each seed in the same
    setting order, the first being the baseline (λ = 0, rate 0). For each setting: `setting`'s value,
    summarize() of each measure, and `vs_baseline`: ways() of (value − the same seed's baseline)."""
    summary = []
    for index, first in enumerate(per_seed[0]["rows"]):
        rows = [seed["rows"][index] for seed in per_seed]
        baselines = [seed["rows"][0] for seed in per_seed]
        entry = {setting: first[setting], **{m: summarize([row[m] for row in rows]) for m in measures}}
        entry["vs_baseline"] = {m: ways([row[m] - base[m] for row, base in zip(rows, baselines)]) for m in measures}
        summary.append(entry)
    return summary


def ways_text(counts):
    """'above/below/equal' for a table cell."""
    return f"{counts['above']}/{counts['below']}/{counts['equal']}"


def band_text(summary, digits=3):
    """'mean ± std [min, max]' for a table cell."""
    if "mean" not in summary:
        return "n/a"
    return (f"{summary['mean']:.{digits}f} ± {summary['std']:.{digits}f} "
            f"[{summary['min']:.{digits}f}, {summary['max']:.{digits}f}]")


def print_table(header, rows):
    """Print rows of strings under a header, columns padded to their widest cell."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    for line in [header, ["-" * width for width in widths], *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip())


def write_record(out, name, args, settings, per_seed, summary):
    """Write `out/name.json`: the command, date, versions, settings, per-seed numbers and summary."""
    import numpy  # noqa: PLC0415  (for its version only)

    import trainwell  # noqa: PLC0415

    out.mkdir(parents=True, exist_ok=True)
    record = {"experiment": name, "command": " ".join(shlex.quote(part) for part in [sys.executable, *sys.argv]),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "quick": args.quick, "seeds": args.seeds, "settings": settings,
              "versions": {"python": platform.python_version(), "numpy": numpy.__version__,
                           "trainwell": trainwell.__version__, "machine": platform.machine()},
              "per_seed": per_seed, "summary": summary}
    path = out / f"{name}.json"
    with atomic_write(path) as handle:
        handle.write(json.dumps(record, indent=1, allow_nan=False).encode())
    print(f"numbers: {path}")
    return path


def pyplot():
    """matplotlib.pyplot with the file-only Agg backend, or None (and a note) when it is not installed."""
    try:
        import matplotlib  # noqa: PLC0415
    except ImportError:
        print("matplotlib is not installed (pip install 'trainwell[lab]'): no figure; the numbers are written.")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def finish(args, name, settings, per_seed, summary, draw):
    """Write the record, then, when matplotlib is there, the figure `draw(plt)` returns (laid out, saved)."""
    write_record(args.out, name, args, settings, per_seed, summary)
    plt = pyplot()
    if plt is not None:
        figure = draw(plt)
        figure.tight_layout()
        save_figure(figure, args.out, name)


def save_figure(figure, out, name):
    """Save `figure` as `out/name.png` (atomically) and close it."""
    path = out / f"{name}.png"
    with atomic_write(path) as handle:
        figure.savefig(handle, format="png", dpi=110)
    import matplotlib.pyplot as plt  # noqa: PLC0415  (only reached when pyplot() found matplotlib)

    plt.close(figure)
    print(f"figure: {path}")
    return path


def band(axes, x, per_seed, label, color=None):
    """Mean over seeds as a line, min–max over seeds as a shaded band. per_seed: one list per seed."""
    columns = list(zip(*per_seed))
    mean = [sum(column) / len(column) for column in columns]
    marker = "o" if len(mean) <= 20 else None  # dots on a sweep, a plain line on a learning curve
    line, = axes.plot(x, mean, marker=marker, markersize=3, label=f"{label} (mean)", color=color)
    axes.fill_between(x, [min(c) for c in columns], [max(c) for c in columns], alpha=0.25,
                      color=line.get_color(), label=f"{label} (min–max over seeds)")


def paired(axes, left, right, labels, ylabel, title):
    """One line per seed from its left value to its right value, the mean drawn thick."""
    for a, b in zip(left, right):
        axes.plot([0, 1], [a, b], color="grey", alpha=0.5, marker="o", markersize=3)
    axes.plot([0, 1], [sum(left) / len(left), sum(right) / len(right)], color="black", linewidth=2.5,
              marker="o", label=f"mean over {len(left)} seeds")
    axes.set_xticks([0, 1], labels)
    axes.set_xlim(-0.3, 1.3)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend(fontsize=8)


def strip(axes, values, reference, xlabel, title, log=False):
    """One dot per seed along x (stacked in rows so equal values stay visible), a dashed line at
    `reference` (the value meaning "no effect") and the median marked."""
    ordered = sorted(values)
    axes.scatter(ordered, [index % 6 for index in range(len(ordered))], color="tab:blue", alpha=0.7,
                 label=f"one seed ({len(ordered)})")
    if ordered:
        median = statistics.median(ordered)
        axes.axvline(median, color="tab:blue", label=f"median {median:.3g}")
    axes.axvline(reference, color="black", linestyle="--", label=f"{reference:g}: no effect")
    if log:
        axes.set_xscale("log")
    axes.set_ylim(-1, 6)
    axes.set_yticks([])
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    axes.legend(fontsize=8)
