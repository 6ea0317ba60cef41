"""Training speed of LeNet-style convolutional networks on CPU, one epoch of Adam: trainwell against PyTorch.

Measured: samples per second over one training epoch (forward, loss, backward, optimizer step, the
per-epoch shuffle and batch gathering) at batch size 64, on 28x28 single-channel images, for two networks:

    lenet5   Conv2D(6, 5x5, 'same', relu), MaxPool 2, Conv2D(16, 5x5, relu), MaxPool 2, Flatten,
             Dense(120, relu), Dense(84, relu), Dense(10, softmax)          (LeCun et al. 1998, with relu)
    convnet  Conv2D(32, 3x3, relu), MaxPool 2, Conv2D(64, 3x3, relu), MaxPool 2, Flatten,
             Dense(10, softmax)                                              (the Keras MNIST example, no dropout)

on synthetic samples shaped like MNIST: the images and teacher labels of bench/mlp_cpu.py (28x28 float32
pixels in [0, 1], 10 classes from a fixed random linear teacher, seed 42), with a channel axis added.

Peer: PyTorch (CPU build, pinned in bench/requirements.txt), in a process of its own (run_sides_apart), on the same pixels in its
own layout (N, 1, 28, 28), prepared before timing: nn.Sequential of Conv2d/ReLU/MaxPool2d/Flatten/Linear
producing logits, CrossEntropyLoss, torch.randperm and tensor indexing per batch. trainwell runs the Keras
API as a textbook writes it: Sequential, compile("sparse_categorical_crossentropy"), fit(batch_size=64,
epochs=1, shuffle=True, verbose=0), channels-last images (N, 28, 28, 1).

Matched on both sides: Adam with Keras's defaults (learning rate 1e-3, betas 0.9/0.999, epsilon 1e-7);
Glorot-uniform kernels (PyTorch's xavier_uniform_ computes the same fans for conv weights) and zero biases;
'same' padding of the first LeNet convolution is padding=2 in PyTorch; the last, partial batch is trained;
float32. glibc's MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ are recorded: by default glibc hands
freed multi-megabyte blocks back to the kernel, and NumPy's per-step temporaries (the patch matrices) are
then page-faulted afresh at every step. Threads, warm-up, trials, busy-machine handling and the table are those of bench/mlp_cpu.py (see
its docstring and bench/_common.py). Results go to bench/results/cnn_cpu.json (cnn_cpu_quick.json with
--quick). This is a measurement, not a test.

Command (from the repository root, in the benchmark venv):
    bench/.venv/bin/python bench/cnn_cpu.py [--quick] [--repeats 3] [--threads N] [--only torch]
"""
import argparse
import functools
import os
import sys

from _common import (add_common_arguments, add_epoch_arguments, check_arguments, print_ratio_table, ratio, start_sides,
                     torch_epoch_fit, trainwell_epoch_fit, write_results, run_sides_apart)
from mlp_cpu import ADAM, SEED, synthetic_fashion_mnist, time_side, warmup_size

VARIANTS = ("lenet5", "convnet")
BATCH_SIZE = 64
SAMPLES, QUICK_SAMPLES = 8_192, 1_024
# glibc's allocator settings: they decide whether large NumPy temporaries are page-faulted afresh every step.
MALLOC_ENVIRONMENT = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
TRAINWELL_API = ("Sequential", "layers.Input", "layers.Conv2D", "layers.MaxPooling2D", "layers.Flatten",
                 "layers.Dense", "optimizers.Adam", "utils.set_random_seed")


def main(argv=None):
    parser = add_common_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    add_epoch_arguments(parser, SAMPLES, QUICK_SAMPLES, VARIANTS)
    args = parser.parse_args(argv)
    check_arguments(parser, args)
    if args.samples is not None and args.samples < 1:
        parser.error(f"--samples must be positive; got --samples={args.samples}.")
    if args.only is None:
        return run_sides_apart("cnn_cpu", args, argv, ("variant", "batch_size"))
    samples = args.samples or (QUICK_SAMPLES if args.quick else SAMPLES)
    sides, tw, torch, limiter, machine = start_sides(args, TRAINWELL_API, "cnn_cpu.py")  # noqa: F841  (limiter)

    images, y = synthetic_fashion_mnist(samples, SEED)
    inputs = {"trainwell": images[..., None], "torch": images[:, None, :, :].copy()}  # each side's own layout
    cells = []
    for variant in args.variants:
        cell = {"variant": variant, "batch_size": BATCH_SIZE}
        for side in sides:
            build_fit = functools.partial(trainwell_fit if side == "trainwell" else torch_fit,
                                          tw if side == "trainwell" else torch, variant)
            cell[side] = time_side(build_fit, inputs[side], y, BATCH_SIZE, args.repeats)
        cell["ratio"] = ratio(cell)
        cells.append(cell)
        print(f"  done {variant}", file=sys.stderr, flush=True)

    title = (f"LeNet-style CNNs on 28x28x1, Adam, batch {BATCH_SIZE}, one epoch of {samples:,} samples "
             f"(median [min-max] of {args.repeats} trials):")
    print_ratio_table(title, cells, ("variant", "batch_size"))
    settings = {
        "samples": samples, "epochs_timed": 1, "trials": args.repeats, "threads": args.threads,
        "batch_size": BATCH_SIZE, "warmup_samples": warmup_size(samples, BATCH_SIZE), "seed": SEED,
        "dtype": "float32", "adam": ADAM, "loss": "sparse categorical cross-entropy",
        "torch_flush_denormal": bool(args.torch_flush_denormal),
        "malloc_environment": {name: os.environ.get(name) for name in MALLOC_ENVIRONMENT},
    }
    write_results("cnn_cpu", args, argv, machine, settings, cells, tw, title)


def trainwell_fit(tw, variant):
    """A fresh, seeded, compiled Keras-style model; returns fit(x, y) -> the epoch's mean loss."""
    layers = tw.layers
    stacks = {
        "lenet5": lambda: [layers.Input(shape=(28, 28, 1)),
                           layers.Conv2D(6, 5, padding="same", activation="relu"), layers.MaxPooling2D(),
                           layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(), layers.Flatten(),
                           layers.Dense(120, activation="relu"), layers.Dense(84, activation="relu"),
                           layers.Dense(10, activation="softmax")],
        "convnet": lambda: [layers.Input(shape=(28, 28, 1)),
                            layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
                            layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(), layers.Flatten(),
                            layers.Dense(10, activation="softmax")],
    }
    return trainwell_epoch_fit(tw, stacks[variant], BATCH_SIZE, SEED, ADAM["learning_rate"])


def torch_fit(torch, variant):
    """The same network in idiomatic PyTorch (logits + CrossEntropyLoss); returns fit(x, y) -> mean loss."""
    nn = torch.nn
    stacks = {
        "lenet5": lambda: [nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                           nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                           nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)],
        "convnet": lambda: [nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                            nn.Linear(1600, 10)],
    }
    return torch_epoch_fit(torch, stacks[variant], BATCH_SIZE, SEED, ADAM, (nn.Linear, nn.Conv2d))


if __name__ == "__main__":
    main()
