"""Speed of one optimizer update on a flat CPU buffer, every rule: trainwell against torch.optim (foreach).

Measured: the time of one update of a 1M- and a 10M-parameter float32 model, reported as parameters
updated per second, for every rule at Keras's defaults: SGD (plain, momentum 0.9, Nesterov),
Adagrad, RMSprop (plain, momentum 0.9, centered), Adam, AdamW, Adamax and Nadam.

Both sides hold the parameters in ONE flat buffer (trainwell's layout, DESIGN §3; for PyTorch one
tensor is its best case, as its CPU foreach path loops over tensors). trainwell runs what `fit`
runs per step, `optimizer.apply(params, grads)` on the flat buffers (schedule lookup, clipping
check, the rule's compiled loop — or, without Numba, its NumPy operations over cache-sized blocks —
and the every-16-steps flush of near-subnormal slots); PyTorch runs `optimizer.step()` of `torch.optim.<Rule>(..., foreach=True)`
on one `nn.Parameter` whose `.grad` is set. Hyperparameters are matched where the cost could
differ: lr, betas/rho/alpha, eps=1e-7, Adagrad's initial accumulator 0.1, AdamW's decay 0.004
(Nadam's momentum schedules differ, Keras 3 vs PyTorch's psi = 0.004: same cost). The numerics
are not compared here (tests/test_optimizers*.py check them); PyTorch puts epsilon outside the
root for RMSprop and Adagrad, which costs the same.

Threads: torch.set_num_threads(n), trainwell.compiled.set_num_threads(n) and threadpoolctl limits
for NumPy (default n = all cores). PyTorch's elementwise kernels and trainwell's compiled loops (from
2^19 entries) use all n threads; NumPy's ufuncs use one. Each side runs in a process of its own
(bench/_common.run_sides_apart: PyTorch's libgomp would otherwise serve Numba too).

Timing: per cell and side, `--repeats` trials (default 5), each a fresh optimizer on fresh copies
of the same seeded parameters and gradients, two untimed warm-up updates (PyTorch creates its
state on the first), then a timed run of 1e8 / size consecutive updates (100 at 1M, 10 at 10M).
A trial during which other processes took over 10% of the CPU is run again (bench/_common.py).
The table shows the median rate with [min-max] and the ratio trainwell/PyTorch (above 1: trainwell
is faster); the JSON (bench/results/optimizer_step.json, _quick with --quick) adds milliseconds per
update, machine, versions and every timing. This is a measurement, not a test.

Command (from the repository root, in the benchmark venv):
    bench/.venv/bin/python bench/optimizer_step.py [--quick] [--repeats 5] [--threads N] [--only torch]
"""
import argparse
import sys

import numpy

from _common import (SIDES, add_common_arguments, check_arguments, describe_blas, import_trainwell, machine_info,
                     measure, print_ratio_table, ratio, run_sides_apart, set_threads, warn_if_busy, write_results)

SIZES = (1_000_000, 10_000_000)
QUICK_SIZES = (100_000, 1_000_000)
UPDATED_PER_TRIAL = 100_000_000  # parameters updated per timed trial: 100 updates at 1M, 10 at 10M
WARMUP_UPDATES = 2
SEED = 42
EPSILON = 1e-7
# rule -> (trainwell class and arguments, torch.optim class and arguments); Keras's defaults on both sides
RULES = {
    "SGD": (("SGD", {"learning_rate": 0.01}), ("SGD", {"lr": 0.01})),
    "SGD momentum": (("SGD", {"learning_rate": 0.01, "momentum": 0.9}), ("SGD", {"lr": 0.01, "momentum": 0.9})),
    "SGD nesterov": (("SGD", {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True}),
                     ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True})),
    "Adagrad": (("Adagrad", {}), ("Adagrad", {"lr": 0.001, "initial_accumulator_value": 0.1, "eps": EPSILON})),
    "RMSprop": (("RMSprop", {}), ("RMSprop", {"lr": 0.001, "alpha": 0.9, "eps": EPSILON})),
    "RMSprop momentum": (("RMSprop", {"momentum": 0.9}),
                         ("RMSprop", {"lr": 0.001, "alpha": 0.9, "eps": EPSILON, "momentum": 0.9})),
    "RMSprop centered": (("RMSprop", {"centered": True}),
                         ("RMSprop", {"lr": 0.001, "alpha": 0.9, "eps": EPSILON, "centered": True})),
    "Adam": (("Adam", {}), ("Adam", {"lr": 0.001, "eps": EPSILON})),
    "AdamW": (("AdamW", {}), ("AdamW", {"lr": 0.001, "eps": EPSILON, "weight_decay": 0.004})),
    "Adamax": (("Adamax", {}), ("Adamax", {"lr": 0.001, "eps": EPSILON})),
    "Nadam": (("Nadam", {}), ("NAdam", {"lr": 0.001, "eps": EPSILON})),
}
TRAINWELL_API = tuple(f"optimizers.{spec[0][0]}" for spec in RULES.values()) + ("layers.variable.Variable",)


def main(argv=None):
    parser = add_common_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    parser.set_defaults(repeats=5)
    parser.add_argument("--rules", nargs="+", choices=list(RULES), default=list(RULES), metavar="RULE",
                        help=f"rules to time (default all: {', '.join(RULES)})")
    parser.add_argument("--sizes", nargs="+", type=int, default=None,
                        help="parameter counts (default 1,000,000 and 10,000,000; 100,000 and 1,000,000 with --quick)")
    args = parser.parse_args(argv)
    check_arguments(parser, args)
    sides = (args.only,) if args.only else SIDES
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    if min(sizes) < 1:
        parser.error(f"--sizes must be positive; got --sizes={sizes}.")
    if args.only is None:
        return run_sides_apart("optimizer_step", args, argv, ("rule", "parameters"))

    tw = import_trainwell(*TRAINWELL_API) if "trainwell" in sides else None
    torch = _import_torch() if "torch" in sides else None
    limiter = set_threads(args.threads, torch)  # noqa: F841  (the limits hold while it is referenced)
    machine = {**machine_info(torch), "foreign_cpu_share_before_run": warn_if_busy()}
    print(f"{machine['cpu']}, {machine['cores']} cores, {args.threads} threads per side")
    print("\n".join("BLAS " + line for line in describe_blas(machine["blas"])))

    cells = []
    for size in sizes:
        params, grads = starting_point(size)
        updates = max(UPDATED_PER_TRIAL // size, 2)
        for rule in args.rules:
            cell = {"rule": rule, "parameters": f"{size / 1e6:g}M", "size": size, "updates_per_trial": updates}
            for side in sides:
                make = (trainwell_updater(tw, *RULES[rule][0]) if side == "trainwell"
                        else torch_updater(torch, *RULES[rule][1]))
                cell[side] = time_side(make, params, grads, updates, args.repeats)
            cell["ratio"] = ratio(cell)
            cells.append(cell)
            print(f"  done {rule} {cell['parameters']}", file=sys.stderr, flush=True)

    title = f"One optimizer update on a flat float32 buffer (median [min-max] of {args.repeats} trials):"
    print_ratio_table(title, cells, ("rule", "parameters"))
    settings = {"sizes": list(sizes), "updates_per_trial": {s: max(UPDATED_PER_TRIAL // s, 2) for s in sizes},
                "warmup_updates": WARMUP_UPDATES, "trials": args.repeats, "threads": args.threads,
                "dtype": "float32", "seed": SEED, "rules": {rule: RULES[rule] for rule in args.rules},
                "torch_foreach": True}
    write_results("optimizer_step", args, argv, machine, settings, cells, tw, title)


def starting_point(size):
    """Seeded float32 parameters and gradients (normal, scaled like a trained network's)."""
    rng = numpy.random.default_rng(SEED)
    params = rng.standard_normal(size, dtype=numpy.float32) * numpy.float32(0.05)
    grads = rng.standard_normal(size, dtype=numpy.float32) * numpy.float32(0.01)
    return params, grads


def time_side(make, params, grads, updates, repeats):
    """Independent trials: a fresh optimizer on fresh copies, warm-up updates, then `updates` timed ones."""
    def prepare():
        step = make(params.copy(), grads.copy())
        for _ in range(WARMUP_UPDATES):
            step()

        def run():
            for _ in range(updates):
                step()
        return run
    summary, _ = measure(prepare, repeats, items=updates * params.size, unit="params")
    summary["ms_per_update"] = 1e3 * summary["median_s"] / updates
    return summary


def trainwell_updater(tw, class_name, kwargs):
    """A factory: (params, grads) -> one-update function, as `fit` calls it on its flat buffers."""
    def make(params, grads):
        optimizer = getattr(tw.optimizers, class_name)(**kwargs)
        optimizer.build([tw.layers.variable.Variable(params, "flat")], size=params.size, dtype=params.dtype)
        return lambda: optimizer.apply(params, grads)
    return make


def torch_updater(torch, class_name, kwargs):
    """A factory: (params, grads) -> one `optimizer.step()` of torch.optim.<class_name>(foreach=True)."""
    def make(params, grads):
        parameter = torch.nn.Parameter(torch.from_numpy(params))
        parameter.grad = torch.from_numpy(grads)
        optimizer = getattr(torch.optim, class_name)([parameter], foreach=True, **kwargs)
        return optimizer.step
    return make


def _import_torch():
    try:
        import torch  # noqa: PLC0415  (the peer; only imported when it runs)
    except ImportError as error:
        raise SystemExit(f"optimizer_step.py: cannot import torch ({error}); install the peers with "
                         "`bench/.venv/bin/pip install -r bench/requirements.txt`.") from error
    return torch


if __name__ == "__main__":
    main()
