"""Training speed of LeNet-style convolutional networks on CPU, one epoch of Adam: trainwell against PyTorch.

Measured: samples per second over one training epoch (forward, loss, backward, optimizer step, the
per-epoch shuffle and batch gathering) at batch size 64, on 28x28 single-channel images, for two networks:

    lenet5   Conv2D(6, 5x5, 'same', relu), MaxPool 2, Conv2D(16, 5x5, relu), MaxPool 2, Flatten,
             Dense(120, relu), Dense(84, relu), Dense(10, softmax)          (LeCun et al. 1998, with relu)
    convnet  Conv2D(32, 3x3, relu), MaxPool 2, Conv2D(64, 3x3, relu), MaxPool 2, Flatten,
             Dense(10, softmax)                                              (the Keras MNIST example, no dropout)

on synthetic samples shaped like MNIST: the images and teacher labels of bench/mlp_cpu.py (28x28 float32
pixels in [0, 1], 10 classes from a fixed random linear teacher, seed 42), with a channel axis added.

Peer: PyTorch (CPU build, pinned in bench/requirements.txt), in the same process, on the same pixels in its
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

from _common import (RESULTS_DIR, SIDES, add_common_arguments, check_arguments, describe_blas, import_trainwell,
                     load_average, machine_info, print_ratio_table, ratio, set_threads, warn_if_busy, write_json)
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
    parser.add_argument("--samples", type=int, default=None, help=f"training samples (default {SAMPLES:,}; "
                        f"{QUICK_SAMPLES:,} with --quick)")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--torch-flush-denormal", action="store_true",
                        help="run PyTorch with torch.set_flush_denormal(True) (its default is off)")
    args = parser.parse_args(argv)
    check_arguments(parser, args)
    if args.samples is not None and args.samples < 1:
        parser.error(f"--samples must be positive; got --samples={args.samples}.")
    samples = args.samples or (QUICK_SAMPLES if args.quick else SAMPLES)
    sides = (args.only,) if args.only else SIDES

    tw = import_trainwell(*TRAINWELL_API) if "trainwell" in sides else None
    torch = _import_torch() if "torch" in sides else None
    if torch is not None and args.torch_flush_denormal:
        torch.set_flush_denormal(True)
    limiter = set_threads(args.threads, torch)  # noqa: F841  (the limits hold while it is referenced)
    machine = {**machine_info(torch), "foreign_cpu_share_before_run": warn_if_busy()}
    print(f"{machine['cpu']}, {machine['cores']} cores, {args.threads} threads per side")
    print("\n".join("BLAS " + line for line in describe_blas(machine["blas"])))

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

    print_ratio_table(f"LeNet-style CNNs on 28x28x1, Adam, batch {BATCH_SIZE}, one epoch of {samples:,} samples "
                      f"(median [min-max] of {args.repeats} trials):", cells, ("variant", "batch_size"))
    out = args.out or RESULTS_DIR / ("cnn_cpu_quick.json" if args.quick else "cnn_cpu.json")
    settings = {
        "samples": samples, "epochs_timed": 1, "trials": args.repeats, "threads": args.threads,
        "batch_size": BATCH_SIZE, "warmup_samples": warmup_size(samples, BATCH_SIZE), "seed": SEED,
        "dtype": "float32", "adam": ADAM, "loss": "sparse categorical cross-entropy",
        "torch_flush_denormal": bool(args.torch_flush_denormal),
        "malloc_environment": {name: os.environ.get(name) for name in MALLOC_ENVIRONMENT},
        "trainwell_version": getattr(tw, "__version__", None),
    }
    command = " ".join(["bench/cnn_cpu.py", *(sys.argv[1:] if argv is None else argv)])
    write_json(out, {"benchmark": "cnn_cpu", "command": command, "machine": machine, "settings": settings,
                     "results": cells, "load_average_at_end": load_average()})
    print(f"wrote {out}")


def trainwell_fit(tw, variant):
    """A fresh, seeded, compiled Keras-style model; returns fit(x, y) -> the epoch's mean loss."""
    layers = tw.layers
    tw.utils.set_random_seed(SEED)
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
    model = tw.Sequential(stacks[variant]())
    model.compile(optimizer=tw.optimizers.Adam(learning_rate=ADAM["learning_rate"]),
                  loss="sparse_categorical_crossentropy")

    def fit(x, y):
        history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0, shuffle=True)
        return float(history.history["loss"][-1])
    return fit


def torch_fit(torch, variant):
    """The same network in idiomatic PyTorch (logits + CrossEntropyLoss); returns fit(x, y) -> mean loss."""
    nn = torch.nn
    torch.manual_seed(SEED)
    stacks = {
        "lenet5": lambda: [nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                           nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                           nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)],
        "convnet": lambda: [nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                            nn.Linear(1600, 10)],
    }
    model = nn.Sequential(*stacks[variant]())
    for module in model.modules():  # Keras's initialisation, so both sides start from the same law
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=ADAM["learning_rate"],
                                 betas=(ADAM["beta_1"], ADAM["beta_2"]), eps=ADAM["epsilon"])
    loss_function = nn.CrossEntropyLoss()
    shuffle = torch.Generator().manual_seed(SEED)

    def fit(x, y):
        x, y = torch.from_numpy(x), torch.from_numpy(y)  # shares memory: no copy is timed
        model.train()
        order = torch.randperm(len(x), generator=shuffle)
        total = torch.zeros(())
        for start in range(0, len(x), BATCH_SIZE):
            index = order[start:start + BATCH_SIZE]
            loss = loss_function(model(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(index)  # epoch loss weighted by batch size, as Keras logs it
        return float(total) / len(x)
    return fit


def _import_torch():
    try:
        import torch  # noqa: PLC0415  (the peer; only imported when it runs)
    except ImportError as error:
        raise SystemExit(f"cnn_cpu.py: cannot import torch ({error}); install the peers with "
                         "`bench/.venv/bin/pip install -r bench/requirements.txt`.") from error
    return torch


if __name__ == "__main__":
    main()
