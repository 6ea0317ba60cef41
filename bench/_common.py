"""What every benchmark in bench/ shares: arguments, threads, machine facts, timing, JSON and the ratio table."""
import datetime
import gc
import importlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "bench" / "results"
# Variables that change how the BLAS libraries pick kernels or threads; recorded exactly as found.
RECORDED_ENVIRONMENT = (
    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
    "MKL_NUM_THREADS", "KMP_AFFINITY", "TRAINWELL_BACKEND",
)
SIDES = ("trainwell", "torch")
# Other processes may take this share of the machine's CPU during a trial before it is timed again.
BUSY_LIMIT = 0.10
# Below this many CPU-seconds of capacity a trial is too short for /proc/stat's 10 ms ticks to judge.
MIN_JUDGED_CPU_SECONDS = 0.5


def add_common_arguments(parser):
    """Add --repeats, --threads, --quick, --only and --out, the options every benchmark takes."""
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed trials per cell, each a fresh model after its warm-up (default 3)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help=f"threads for both sides: torch and NumPy's BLAS (default all, {os.cpu_count()})")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run on a small workload; writes <name>_quick.json")
    parser.add_argument("--only", choices=SIDES, default=None,
                        help="run one side only (no ratio); e.g. `--only torch` while trainwell cannot import")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON path (default bench/results/<name>.json)")
    return parser


def check_arguments(parser, args):
    """Refuse repeat and thread counts below one, through argparse's own error."""
    if args.repeats < 1:
        parser.error(f"--repeats must be a positive integer; got --repeats={args.repeats}.")
    if args.threads < 1:
        parser.error(f"--threads must be a positive integer; got --threads={args.threads}.")


def add_epoch_arguments(parser, samples, quick_samples, variants, batch_sizes=None):
    """Add --samples, --variants, --batch-sizes (when `batch_sizes` is given) and --torch-flush-denormal."""
    parser.add_argument("--samples", type=int, default=None, help=f"training samples (default {samples:,}; "
                        f"{quick_samples:,} with --quick)")
    parser.add_argument("--variants", nargs="+", choices=variants, default=list(variants))
    if batch_sizes is not None:
        parser.add_argument("--batch-sizes", nargs="+", type=int, default=list(batch_sizes))
    parser.add_argument("--torch-flush-denormal", action="store_true",
                        help="run PyTorch with torch.set_flush_denormal(True) (its default is off)")
    return parser


def import_trainwell(*names):
    """Import trainwell (from the repository when it is not installed) and check `names` resolve on it.

    Exits with a message naming what is missing and how to proceed, before anything is timed.
    """
    if importlib.util.find_spec("trainwell") is None:
        sys.path.insert(0, str(REPO_ROOT))
    try:
        trainwell = importlib.import_module("trainwell")
        for name in names:
            _resolve(trainwell, name)
    except Exception as error:  # any failure here means "the library is not usable yet"
        raise SystemExit(
            f"{Path(sys.argv[0]).name}: cannot use trainwell ({type(error).__name__}: {error}). "
            "Install it into the benchmark venv with `bench/.venv/bin/pip install -e .`, "
            "or time the peer alone with `--only torch`."
        ) from error
    return trainwell


def import_torch(script):
    """Import the peer, or exit with a message (prefixed `script`) saying how to install it."""
    try:
        import torch  # noqa: PLC0415  (the peer; only imported when it runs)
    except ImportError as error:
        raise SystemExit(f"{script}: cannot import torch ({error}); install the peers with "
                         "`bench/.venv/bin/pip install -r bench/requirements.txt`.") from error
    return torch


def start_sides(args, trainwell_api, script):
    """Import the sides that run (before anything is timed, so a missing one fails at once), set their threads
    and, with --torch-flush-denormal, PyTorch's flush of subnormals; record and print the machine.

    Returns (sides, tw, torch, limiter, machine); keep `limiter` referenced while the limits must hold.
    """
    sides = (args.only,) if args.only else SIDES
    tw = import_trainwell(*trainwell_api) if "trainwell" in sides else None
    torch = import_torch(script) if "torch" in sides else None
    if torch is not None and args.torch_flush_denormal:
        torch.set_flush_denormal(True)
    limiter = set_threads(args.threads, torch)
    machine = {**machine_info(torch), "foreign_cpu_share_before_run": warn_if_busy()}
    print(f"{machine['cpu']}, {machine['cores']} cores, {args.threads} threads per side")
    print("\n".join("BLAS " + line for line in describe_blas(machine["blas"])))
    return sides, tw, torch, limiter, machine


def trainwell_epoch_fit(tw, make_layers, batch_size, seed, learning_rate):
    """A Sequential of `make_layers()` built after seeding, compiled with Adam and sparse cross-entropy as a
    textbook writes it; returns fit(x, y) -> one epoch's mean loss."""
    tw.utils.set_random_seed(seed)
    model = tw.Sequential(make_layers())
    model.compile(optimizer=tw.optimizers.Adam(learning_rate=learning_rate), loss="sparse_categorical_crossentropy")

    def fit(x, y):
        history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=True)
        return float(history.history["loss"][-1])
    return fit


def torch_epoch_fit(torch, make_modules, batch_size, seed, adam, glorot_modules):
    """The same in idiomatic PyTorch: nn.Sequential of `make_modules()` (logits), Glorot-uniform weights and zero
    biases in `glorot_modules`, Adam with `adam`'s Keras hyperparameters, CrossEntropyLoss, a randperm shuffle
    and tensor indexing per batch; returns fit(x, y) -> one epoch's mean loss."""
    nn = torch.nn
    torch.manual_seed(seed)
    model = nn.Sequential(*make_modules())
    for module in model.modules():  # Keras's initialisation, so both sides start from the same law
        if isinstance(module, glorot_modules):
            nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=adam["learning_rate"],
                                 betas=(adam["beta_1"], adam["beta_2"]), eps=adam["epsilon"])
    loss_function = nn.CrossEntropyLoss()
    shuffle = torch.Generator().manual_seed(seed)

    def fit(x, y):
        x, y = torch.from_numpy(x), torch.from_numpy(y)  # shares memory: no copy is timed
        model.train()
        order = torch.randperm(len(x), generator=shuffle)
        total = torch.zeros(())
        for start in range(0, len(x), batch_size):
            index = order[start:start + batch_size]
            loss = loss_function(model(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(index)  # epoch loss weighted by batch size, as Keras logs it
        return float(total) / len(x)
    return fit


def set_threads(count, torch=None):
    """Use `count` threads in torch (intra-op), in trainwell's compiled loops (Numba, when installed)
    and in every BLAS/OpenMP pool threadpoolctl finds.

    Returns the threadpoolctl limiter; keep it referenced for as long as the limits must hold.
    """
    from threadpoolctl import threadpool_limits  # noqa: PLC0415  (bench-only dependency)

    if torch is not None:
        torch.set_num_threads(count)
    try:
        from trainwell import compiled  # noqa: PLC0415
    except ImportError:  # a peer-only run (--only torch) without trainwell installed
        pass
    else:
        compiled.set_num_threads(count)
    return threadpool_limits(limits=count)


def blas_info(torch=None):
    """Which BLAS NumPy loaded (from threadpoolctl) and which one torch was built with."""
    from threadpoolctl import threadpool_info  # noqa: PLC0415

    numpy_pools = [
        {key: pool.get(key) for key in ("internal_api", "version", "architecture", "num_threads", "filepath")}
        for pool in threadpool_info() if pool["user_api"] == "blas"
    ]
    info = {"numpy": numpy_pools}
    if torch is not None:
        config = torch.__config__.show()
        blas = next((part.split("=", 1)[1] for part in config.replace(",", "\n").split()
                     if part.startswith("BLAS_INFO=")), "unknown")
        info["torch"] = {
            "blas": blas,
            "mkldnn": torch.backends.mkldnn.is_available(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "num_threads": torch.get_num_threads(),
        }
    return info


def describe_blas(info):
    """One line per side, e.g. `numpy (trainwell): openblas 0.3.31 (SkylakeX), 2 threads`."""
    lines = [f"numpy (trainwell): {p['internal_api']} {p['version']} ({p['architecture']}), {p['num_threads']} threads"
             for p in info["numpy"]] or ["numpy (trainwell): no BLAS found by threadpoolctl"]
    if "torch" in info:
        t = info["torch"]
        lines.append(f"torch: {t['blas']} (+oneDNN: {t['mkldnn']}, {t['cpu_capability']}), "
                     f"{t['num_threads']} threads")
    return lines


def machine_info(torch=None):
    """CPU model, cores, OS, versions, BLAS, recorded environment variables and the UTC date."""
    import numpy  # noqa: PLC0415

    info = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "blas": blas_info(torch),
        "environment": {name: os.environ.get(name) for name in RECORDED_ENVIRONMENT},
        "load_average_at_start": load_average(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    return info


def measure(prepare, repeats, items, unit="samples", busy_limit=BUSY_LIMIT):
    """Time `repeats` independent trials, each `run = prepare()` untimed (a fresh model, its warm-up), then `run()`.

    `items` is the work one `run()` does (samples in an epoch), so rate = items / seconds in `unit`/s. Other
    processes' share of the machine's CPU during a trial is recorded; a trial where it exceeds `busy_limit`
    is discarded and run again (at most `repeats` times per call), and a kept one that still exceeds it is
    flagged in the table. A collection runs before each timed call so that no trial pays for earlier garbage.
    Returns (summary: timings, median and spread of seconds and rate, CPU shares; the last `run()` result).
    """
    kept, discarded, result = [], [], None
    while len(kept) < repeats:
        run = prepare()
        gc.collect()
        busy, own, start = _machine_busy_seconds(), time.process_time(), time.perf_counter()
        result = run()
        seconds = time.perf_counter() - start
        share = _foreign_share(seconds, busy, time.process_time() - own)
        trial = {"seconds": seconds, "foreign_cpu_share": share}
        if share is not None and share > busy_limit and len(discarded) < repeats:
            print(f"  trial discarded: other processes used {share:.0%} of the CPU", file=sys.stderr, flush=True)
            discarded.append(trial)
        else:
            kept.append(trial)
    times = [trial["seconds"] for trial in kept]
    median = statistics.median(times)
    summary = {
        "seconds": times, "median_s": median, "min_s": min(times), "max_s": max(times),
        "rate": {"unit": f"{unit}/s", "median": items / median, "min": items / max(times),
                 "max": items / min(times)},
        "foreign_cpu_share": [trial["foreign_cpu_share"] for trial in kept],
        "discarded_trials": discarded,
    }
    return summary, result


def ratio(cell):
    """trainwell's median samples/s over the peer's (above 1: trainwell is faster); None if a side is missing."""
    if cell.get("trainwell") is None or cell.get("torch") is None:
        return None
    return cell["trainwell"]["rate"]["median"] / cell["torch"]["rate"]["median"]


def write_json(path, payload):
    """Write `payload` as indented JSON, creating the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def write_results(name, args, argv, machine, settings, cells, tw, title=None):
    """Write bench/results/<name>.json (<name>_quick.json with --quick; --out overrides) with the command line."""
    out = args.out or RESULTS_DIR / (f"{name}_quick.json" if args.quick else f"{name}.json")
    settings = {**settings, "trainwell_version": getattr(tw, "__version__", None)}
    command = " ".join([f"bench/{name}.py", *(sys.argv[1:] if argv is None else argv)])
    write_json(out, {"benchmark": name, "command": command, "title": title, "machine": machine,
                     "settings": settings, "results": cells, "load_average_at_end": load_average()})
    print(f"wrote {out}")


def run_sides_apart(name, args, argv, label_keys):
    """Time each side in a process of its own (`--only SIDE`), then merge them: print the ratio table and
    write the JSON as a one-process run would, with "sides_in_separate_processes": true in its settings.

    Why apart: the PyTorch wheel carries its own libgomp.so.1, and within one process the loader gives
    that same library to Numba's OpenMP layer (trainwell's compiled loops), already set up for PyTorch;
    its threads then spin ~15 ms after each loop against OpenBLAS (trainwell.compiled). A user runs one
    framework per process, so each is timed that way. The torch cells run first, then trainwell's.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    child_argv = [arg for i, arg in enumerate(argv) if arg != "--out" and (i == 0 or argv[i - 1] != "--out")
                  and not arg.startswith("--out=")]
    script = REPO_ROOT / "bench" / f"{name}.py"
    runs = {}
    with tempfile.TemporaryDirectory() as folder:
        for side in reversed(SIDES):
            out = Path(folder) / f"{side}.json"
            print(f"timing {side} in its own process ...", file=sys.stderr, flush=True)
            child = subprocess.run([sys.executable, str(script), *child_argv, "--only", side, "--out", str(out)],
                                   stdout=subprocess.PIPE, text=True)
            if child.returncode != 0:
                raise SystemExit(f"{name}.py: the {side} run failed (exit {child.returncode}):\n{child.stdout}")
            runs[side] = json.loads(out.read_text())
    first, peer = runs["trainwell"], runs["torch"]
    cells = [{**mine, "torch": theirs["torch"]} for mine, theirs in zip(first["results"], peer["results"])]
    for cell in cells:
        cell["ratio"] = ratio(cell)
    machine = {**first["machine"], "torch": peer["machine"]["torch"],
               "blas": {**first["machine"]["blas"], "torch": peer["machine"]["blas"].get("torch")},
               "torch_process": peer["machine"]}
    print("\n".join("BLAS " + line for line in describe_blas(machine["blas"])))
    print_ratio_table(first["title"], cells, label_keys)
    settings = {**first["settings"], "sides_in_separate_processes": True}
    out = args.out or RESULTS_DIR / (f"{name}_quick.json" if args.quick else f"{name}.json")
    write_json(out, {"benchmark": name, "command": " ".join([f"bench/{name}.py", *argv]), "title": first["title"],
                     "machine": machine, "settings": settings, "results": cells,
                     "load_average_at_end": load_average()})
    print(f"wrote {out}")


def print_ratio_table(title, cells, label_keys):
    """Print one row per cell: its labels, the rate per side as `median [min-max]`, and the ratio of medians.

    A rate marked `*` kept a trial during which other processes took more than BUSY_LIMIT of the CPU.
    """
    unit = next(cell[side]["rate"]["unit"] for cell in cells for side in SIDES if cell.get(side))
    header = [*label_keys, f"trainwell {unit}", f"torch {unit}", "ratio tw/torch"]
    rows = [[str(cell[key]) for key in label_keys]
            + [_format_rate(cell.get(side)) for side in SIDES]
            + ["-" if cell.get("ratio") is None else f"{cell['ratio']:.2f}"]
            for cell in cells]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(title)
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(text.ljust(w) if i < len(label_keys) else text.rjust(w)
                        for i, (text, w) in enumerate(zip(row, widths))))
    if any("*" in text for row in rows for text in row):
        print(f"* other processes took over {BUSY_LIMIT:.0%} of the CPU during a kept trial; rerun when idle")


def warn_if_busy(seconds=1.0):
    """Watch the machine for `seconds` before the run and warn if other processes keep its CPU over BUSY_LIMIT."""
    busy, own, start = _machine_busy_seconds(), time.process_time(), time.perf_counter()
    time.sleep(seconds)
    share = _foreign_share(time.perf_counter() - start, busy, time.process_time() - own)
    if share is not None and share > BUSY_LIMIT:
        print(f"warning: other processes use {share:.0%} of the CPU before the run; busy trials will be "
              "repeated, and flagged when they stay busy", file=sys.stderr)
    return share


def load_average():
    """The 1-, 5- and 15-minute load averages (None where the OS has none); recorded to judge noise."""
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def _format_rate(summary):
    if summary is None:
        return "-"
    rate, shares = summary["rate"], [share for share in summary["foreign_cpu_share"] if share is not None]
    flag = " *" if shares and max(shares) > BUSY_LIMIT else ""
    return f"{rate['median']:,.0f} [{rate['min']:,.0f}-{rate['max']:,.0f}]{flag}"


def _machine_busy_seconds():
    """CPU-seconds the whole machine has spent busy or stolen by the host (Linux), else None."""
    try:
        ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _foreign_share(seconds, busy_before, own_cpu_seconds):
    """Share of the machine's CPU capacity used by other processes over `seconds`; None where unknown."""
    busy_after = _machine_busy_seconds()
    capacity = seconds * (os.cpu_count() or 1)
    if busy_before is None or busy_after is None or capacity < MIN_JUDGED_CPU_SECONDS:
        return None
    return max(0.0, (busy_after - busy_before - own_cpu_seconds) / capacity)


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _resolve(module, dotted):
    value = module
    for part in dotted.split("."):
        value = getattr(value, part)
    return value
