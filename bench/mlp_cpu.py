"""Training speed of the textbook MLP 784-300-100-10 on CPU, one epoch of Adam: trainwell against PyTorch.

Measured: samples per second over one training epoch (forward, loss, backward, optimizer step, the
per-epoch shuffle and batch gathering), for three variants of the same network,

    plain      Flatten, Dense(300, relu), Dense(100, relu), Dense(10, softmax)
    batchnorm  Flatten, BN, Dense(300, relu), BN, Dense(100, relu), BN, Dense(10, softmax)
    dropout    Flatten, Dense(300, relu), Dropout(0.2), Dense(100, relu), Dropout(0.2), Dense(10, softmax)

each at batch sizes 32, 128 and 1024 (the BN layout is Geron's HOML chapter 11 one, with relu), on
60,000 synthetic samples shaped like Fashion-MNIST: 28x28 float32 pixels in [0, 1], 10 integer classes
from a fixed random linear teacher (so both losses fall below ln 10 = 2.30), seed 42.

Peer: PyTorch (CPU build, pinned in bench/requirements.txt), in a process of its own (run_sides_apart), on the same arrays:
nn.Sequential of Flatten/Linear/ReLU/BatchNorm1d/Dropout producing logits, CrossEntropyLoss (the fused
log-softmax + NLL), a fresh torch.randperm each epoch and tensor indexing per batch (PyTorch's fastest plain
loop; a DataLoader over a TensorDataset would collate sample by sample and slow PyTorch down). trainwell
uses the Keras API exactly as a textbook writes it: Sequential, compile("sparse_categorical_crossentropy"),
fit(batch_size=b, epochs=1, shuffle=True, verbose=0); its softmax + sparse cross-entropy is the fused path.

Matched on both sides: Adam with learning rate 1e-3, beta_1 0.9, beta_2 0.999 and epsilon 1e-7 (Keras's
defaults; PyTorch's own default epsilon is 1e-8, and it adds epsilon to the bias-corrected sqrt(v), where
Keras adds it to the raw one: same cost); BatchNormalization momentum 0.99 and epsilon 1e-3 (Keras's
defaults), i.e. BatchNorm1d(momentum=0.01, eps=1e-3); Glorot-uniform weights and zero biases; the last,
partial batch is trained; float32. Threads: torch.set_num_threads(n) and threadpoolctl limits every
BLAS/OpenMP pool to n (default n = all cores); the BLAS of each side is printed and recorded.

Timing: per cell and side, `--repeats` independent trials (default 3), each a fresh model seeded alike, an
untimed warm-up epoch on a slice (2,048 samples rounded to whole batches, plus the full epoch's last partial
batch, so every batch shape is seen), then one timed epoch over all samples: every trial is the same first
epoch. A trial during which other processes took over 10% of the CPU is run again (see bench/_common.py).
The table shows the median samples/s with [min-max] and the ratio trainwell/PyTorch of the medians (above 1:
trainwell is faster). Machine, versions, BLAS, environment and every timing go to
bench/results/mlp_cpu.json (mlp_cpu_quick.json with --quick). This is a measurement, not a test.

Subnormal floats: with relu, some hidden units stop receiving gradient early; Adam's first moment of their
weights then decays by beta_1 per step into the subnormal range after about 800 steps. Arithmetic on
subnormals is slow on x86. PyTorch does not flush them by default, so its batch-32 epoch (1,875 steps) runs
its second half about twice as slow per step; trainwell's optimizers zero slot values below tiny * 1e8 every
16 steps (as TensorFlow, which Keras runs on, flushes subnormals to zero on CPU), so it does not. Both are
measured as they behave out of the box; `torch.set_flush_denormal(True)` would remove PyTorch's slowdown.
"""
import argparse
import functools
import sys

import numpy

from _common import (add_common_arguments, add_epoch_arguments, check_arguments, measure, print_ratio_table, ratio,
                     start_sides, torch_epoch_fit, trainwell_epoch_fit, write_results, run_sides_apart)

VARIANTS = ("plain", "batchnorm", "dropout")
BATCH_SIZES = (32, 128, 1024)
SAMPLES, QUICK_SAMPLES, WARMUP_SAMPLES = 60_000, 6_000, 2_048
SEED = 42
ADAM = {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}
BN_MOMENTUM, BN_EPSILON = 0.99, 1e-3  # Keras's convention: weight kept on the old moving statistic
DROPOUT_RATE = 0.2
TRAINWELL_API = ("Sequential", "layers.Input", "layers.Flatten", "layers.Dense", "layers.BatchNormalization",
                 "layers.Dropout", "optimizers.Adam", "utils.set_random_seed")


def main(argv=None):
    parser = add_common_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    add_epoch_arguments(parser, SAMPLES, QUICK_SAMPLES, VARIANTS, BATCH_SIZES)
    args = parser.parse_args(argv)
    check_arguments(parser, args)
    if (args.samples is not None and args.samples < 1) or min(args.batch_sizes) < 1:
        parser.error(f"--samples and --batch-sizes must be positive; got --samples={args.samples}, "
                     f"--batch-sizes={args.batch_sizes}.")
    if args.only is None:
        return run_sides_apart("mlp_cpu", args, argv, ("variant", "batch_size"))
    samples = args.samples or (QUICK_SAMPLES if args.quick else SAMPLES)
    sides, tw, torch, limiter, machine = start_sides(args, TRAINWELL_API, "mlp_cpu.py")  # noqa: F841  (limiter)
    machine["torch_flush_denormal"] = bool(args.torch_flush_denormal)

    x, y = synthetic_fashion_mnist(samples, SEED)
    cells = []
    for variant in args.variants:
        for batch_size in args.batch_sizes:
            cell = {"variant": variant, "batch_size": batch_size}
            for side in sides:
                build_fit = (functools.partial(trainwell_fit, tw, variant, batch_size) if side == "trainwell"
                             else functools.partial(torch_fit, torch, variant, batch_size))
                cell[side] = time_side(build_fit, x, y, batch_size, args.repeats)
            cell["ratio"] = ratio(cell)
            cells.append(cell)
            print(f"  done {variant} batch {batch_size}", file=sys.stderr, flush=True)

    title = (f"MLP 784-300-100-10, Adam, one epoch of {samples:,} samples (median [min-max] of "
             f"{args.repeats} trials):")
    print_ratio_table(title, cells, ("variant", "batch_size"))
    settings = {
        "samples": samples, "epochs_timed": 1, "trials": args.repeats, "threads": args.threads,
        "warmup_samples": {b: warmup_size(samples, b) for b in args.batch_sizes}, "seed": SEED,
        "dtype": "float32", "adam": ADAM, "batchnorm": {"momentum_keras": BN_MOMENTUM, "epsilon": BN_EPSILON},
        "dropout_rate": DROPOUT_RATE, "loss": "sparse categorical cross-entropy",
    }
    write_results("mlp_cpu", args, argv, machine, settings, cells, tw, title)


def synthetic_fashion_mnist(samples, seed):
    """Pixels uniform in [0, 1], labels the argmax of a fixed random linear map of the centred pixels."""
    rng = numpy.random.default_rng(seed)
    x = rng.random((samples, 28, 28), dtype=numpy.float32)
    teacher = rng.standard_normal((28 * 28, 10)).astype(numpy.float32)
    y = ((x.reshape(samples, -1) - 0.5) @ teacher).argmax(axis=1).astype(numpy.int64)
    return x, y


def time_side(build_fit, x, y, batch_size, repeats):
    """Independent trials (fresh model, warm-up, one timed epoch); the summary plus the last epoch's loss."""
    warm = warmup_size(len(x), batch_size)

    def prepare():
        fit = build_fit()
        fit(x[:warm], y[:warm])
        return lambda: fit(x, y)
    summary, loss = measure(prepare, repeats, items=len(x))
    return {**summary, "last_epoch_loss": loss}


def warmup_size(samples, batch_size):
    """Whole batches covering WARMUP_SAMPLES (at least two) plus the epoch's partial batch, capped at `samples`."""
    whole = max(WARMUP_SAMPLES // batch_size, 2) * batch_size
    return min(whole + samples % batch_size, samples)


def trainwell_fit(tw, variant, batch_size):
    """A fresh, seeded, compiled Keras-style model; returns fit(x, y) -> the epoch's mean loss."""
    layers = tw.layers
    stacks = {  # BatchNormalization() and Adam's betas/epsilon are Keras's defaults, listed in ADAM/BN_*
        "plain": lambda: [layers.Input(shape=(28, 28)), layers.Flatten(),
                          layers.Dense(300, activation="relu"),
                          layers.Dense(100, activation="relu"),
                          layers.Dense(10, activation="softmax")],
        "batchnorm": lambda: [layers.Input(shape=(28, 28)), layers.Flatten(), layers.BatchNormalization(),
                              layers.Dense(300, activation="relu"), layers.BatchNormalization(),
                              layers.Dense(100, activation="relu"), layers.BatchNormalization(),
                              layers.Dense(10, activation="softmax")],
        "dropout": lambda: [layers.Input(shape=(28, 28)), layers.Flatten(),
                            layers.Dense(300, activation="relu"), layers.Dropout(DROPOUT_RATE),
                            layers.Dense(100, activation="relu"), layers.Dropout(DROPOUT_RATE),
                            layers.Dense(10, activation="softmax")],
    }
    return trainwell_epoch_fit(tw, stacks[variant], batch_size, SEED, ADAM["learning_rate"])


def torch_fit(torch, variant, batch_size):
    """The same network in idiomatic PyTorch (logits + CrossEntropyLoss); returns fit(x, y) -> mean loss."""
    nn = torch.nn

    def bn(features):  # Keras momentum 0.99 == PyTorch momentum 0.01 (weight on the new batch statistic)
        return nn.BatchNorm1d(features, eps=BN_EPSILON, momentum=1 - BN_MOMENTUM)
    stacks = {
        "plain": lambda: [nn.Flatten(), nn.Linear(784, 300), nn.ReLU(),
                          nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10)],
        "batchnorm": lambda: [nn.Flatten(), bn(784), nn.Linear(784, 300), nn.ReLU(), bn(300),
                              nn.Linear(300, 100), nn.ReLU(), bn(100), nn.Linear(100, 10)],
        "dropout": lambda: [nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Dropout(DROPOUT_RATE),
                            nn.Linear(300, 100), nn.ReLU(), nn.Dropout(DROPOUT_RATE), nn.Linear(100, 10)],
    }
    return torch_epoch_fit(torch, stacks[variant], batch_size, SEED, ADAM, (nn.Linear,))


if __name__ == "__main__":
    main()
