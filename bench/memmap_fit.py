"""Peak memory of one `fit` epoch on a float32 memmap larger than the batches (2 GiB by default): trainwell's
streamed reads against reading batches through the mapping.

Measured, in a fresh child process per side so that no peak leaks between them: the resident set before the
epoch (model built, targets loaded, the memmap opened), its peak during the epoch (VmHWM from /proc/self/status)
and the peaks of its anonymous and file-backed parts (RssAnon, RssFile, sampled every 5 ms by a thread), each
against the array's size; also seconds and samples/s for the epoch.

    trainwell   model.fit(memmap, y, batch_size, epochs=1, shuffle=True): RowSource reads each shuffled batch
                with positional reads (os.preadv) from the file; the NaN check scans it 4 MiB at a time.
    mapping     the same model and shuffled batches, but each batch gathered as memmap[indices] (what Keras's
                array adapter or a PyTorch TensorDataset over torch.from_numpy(memmap) does) and trained with
                train_on_batch.

Workload: rows x 256 float32 features (2 GiB: 2,097,152 rows; 256 MiB with --quick), written to a temporary
directory with plain file writes, so the file starts in the page cache but in no process's resident set;
targets y = x·w + noise (float32, in memory). Model: Dense(64, relu), Dense(1), Adam, mse, batch 256, seed 0.
Before each side the parent reads the file once, so both sides read from a warm page cache; a cold disk
would be slower, not bigger.
The kernel maps whole page-cache folios on a fault (on this machine one random row mapped ~300 MB), so the
mapping side's file-backed resident set grows towards the file's size; those pages are reclaimable page
cache, but they are what `ps`/VmHWM report.

Command: .venv/bin/python bench/memmap_fit.py [--quick] [--gib 2] [--keep DIR]; prints a table, writes
bench/results/memmap_fit.json (memmap_fit_quick.json with --quick). Linux only (/proc). Not a pass/fail test.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy

from _common import RESULTS_DIR, import_trainwell, load_average, machine_info, write_json

FEATURES, BATCH_SIZE, SEED, SIDES = 256, 256, 0, ("trainwell", "mapping")
SAMPLE_SECONDS = 0.005


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.0, help="array size in GiB (default 2)")
    parser.add_argument("--quick", action="store_true", help="0.25 GiB; writes memmap_fit_quick.json")
    parser.add_argument("--keep", type=Path, default=None, help="write the data here instead of a temporary dir")
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "X", "Y"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(*args.child)
    gib = 0.25 if args.quick else args.gib
    if gib <= 0:
        parser.error(f"--gib must be positive; got --gib={gib}.")
    import_trainwell("Sequential", "layers.Dense")
    rows = int(gib * 2**30) // (FEATURES * 4)
    with tempfile.TemporaryDirectory(dir=args.keep) as folder:
        x_path, y_path = Path(folder) / "x.f32", Path(folder) / "y.npy"
        write_data(x_path, y_path, rows)
        size = x_path.stat().st_size
        results = {}
        for side in SIDES:
            warm_page_cache(x_path)
            run = subprocess.run([sys.executable, __file__, "--child", side, str(x_path), str(y_path)],
                                 capture_output=True, text=True)
            if run.returncode:
                raise SystemExit(f"memmap_fit.py: the {side} side failed:\n{run.stderr}")
            results[side] = json.loads(run.stdout.strip().splitlines()[-1])
            print(f"  done {side}", file=sys.stderr, flush=True)
    print_table(size, rows, results)
    out = RESULTS_DIR / ("memmap_fit_quick.json" if args.quick else "memmap_fit.json")
    command = " ".join(["bench/memmap_fit.py", *(sys.argv[1:] if argv is None else argv)])
    settings = {"rows": rows, "features": FEATURES, "dtype": "float32", "array_bytes": size, "batch_size": BATCH_SIZE,
                "epochs": 1, "model": "Dense(64, relu), Dense(1); Adam; mse", "seed": SEED}
    write_json(out, {"benchmark": "memmap_fit", "command": command, "machine": machine_info(), "settings": settings,
                     "results": results, "load_average_at_end": load_average()})
    print(f"wrote {out}")
    return 0


def write_data(x_path, y_path, rows, chunk_rows=65536):
    """x in chunks with plain writes (never mapped here); y = x·w + noise."""
    rng = numpy.random.default_rng(SEED)
    w = rng.normal(size=FEATURES).astype("float32") / numpy.sqrt(FEATURES)
    y = numpy.empty(rows, dtype="float32")
    with open(x_path, "wb") as handle:
        for start in range(0, rows, chunk_rows):
            chunk = rng.standard_normal((min(chunk_rows, rows - start), FEATURES), dtype="float32")
            y[start:start + len(chunk)] = chunk @ w + 0.1 * rng.standard_normal(len(chunk), dtype="float32")
            handle.write(chunk.tobytes())
    numpy.save(y_path, y)


def warm_page_cache(path, chunk_bytes=64 * 2**20):
    """Read the file once, so that both sides find it in the page cache (neither pays for the disk)."""
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(chunk_bytes)
        while handle.readinto(buffer):
            pass


def child(side, x_path, y_path):
    """One side in a fresh process: build, open, measure the epoch; prints one JSON line."""
    tw = import_trainwell("Sequential", "layers.Dense", "utils.set_random_seed")
    y = numpy.load(y_path)
    x = numpy.memmap(x_path, dtype="float32", mode="r", shape=(len(y), FEATURES))
    tw.utils.set_random_seed(SEED)
    model = tw.Sequential([tw.layers.Input(shape=(FEATURES,)), tw.layers.Dense(64, activation="relu"),
                           tw.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    before = status()
    sampler = PeakSampler()
    start = time.perf_counter()
    if side == "trainwell":
        loss = model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, shuffle=True, verbose=0).history["loss"][-1]
    else:
        order = numpy.random.default_rng(SEED).permutation(len(y))
        total = 0.0
        for first in range(0, len(y), BATCH_SIZE):
            index = order[first:first + BATCH_SIZE]
            total += model.train_on_batch(x[index], y[index]) * len(index)
        loss = total / len(y)
    seconds = time.perf_counter() - start
    peaks = sampler.stop()
    after = status()
    print(json.dumps({"loss": float(loss), "seconds": seconds, "samples_per_s": len(y) / seconds,
                      "rss_before": before["VmRSS"], "peak_rss": after["VmHWM"], "peak_rss_anon": peaks["RssAnon"],
                      "peak_rss_file": peaks["RssFile"], "rss_after": after["VmRSS"]}))
    return 0


class PeakSampler:
    """A thread that samples /proc/self/status every 5 ms and keeps the peaks of RssAnon and RssFile."""

    def __init__(self):
        self.peaks = {"RssAnon": 0, "RssFile": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            now = status()
            for key in self.peaks:
                self.peaks[key] = max(self.peaks[key], now[key])
            time.sleep(SAMPLE_SECONDS)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peaks


def status():
    """VmRSS, VmHWM, RssAnon and RssFile of this process in bytes (Linux)."""
    values = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                values[key] = int(rest.split()[0]) * 1024
    return values


def print_table(size, rows, results):
    mib = 2**20
    print(f"fit, one epoch over a {size / 2**30:.2f} GiB float32 memmap ({rows:,} x {FEATURES}), batch {BATCH_SIZE}:")
    header = ("side", "RSS before MiB", "peak RSS MiB", "peak growth / array", "peak anon MiB", "peak file MiB",
              "samples/s")
    rows_out = [(side, f"{r['rss_before'] / mib:,.0f}", f"{r['peak_rss'] / mib:,.0f}",
                 f"{(r['peak_rss'] - r['rss_before']) / size:.3f}", f"{r['peak_rss_anon'] / mib:,.0f}",
                 f"{r['peak_rss_file'] / mib:,.0f}", f"{r['samples_per_s']:,.0f}") for side, r in results.items()]
    widths = [max(len(row[i]) for row in [header, *rows_out]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows_out]:
        print("  ".join(text.rjust(w) if i else text.ljust(w) for i, (text, w) in enumerate(zip(row, widths))))


if __name__ == "__main__":
    sys.exit(main())
