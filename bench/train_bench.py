"""Training throughput on this machine's CPU: images/s of `fsddim.train` per preset, before and after a change.

Each measurement is one fresh process that imports the fsddim package from a given tree and runs its own
`train()` (the real loop: batches, noise, forward, loss, backward, Adam, EMA) for 2 x K iterations, logging
every K; the rate of the second K (warm caches, allocator and oneDNN primitives) is the measurement. The
loop's clock is the process's CPU time (time.process_time in place of time.time inside fsddim.train), so the
rate is images per CPU-second: with one thread, the images/s of one core of its own, which the other jobs on
shared cores change far less than they change wall time. The wall time of each whole process is recorded too.
The variants run interleaved (before, after, before, after, ...) at the same `nice` and thread count;
bench/run_train_bench.sh prepares the "before" tree.

  /usr/bin/python3 bench/train_bench.py --variant before=DIR/model --variant after=model [--presets tiny small]
      [--iters tiny=10,small=1] [--repeats 2] [--threads 1] [--out bench/results/train.json]
A variant may add config overrides: --variant after_contiguous=model:train.channels_last=false
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

WORKER = r'''
import json, sys, time, types, torch
pkg, preset, iters, threads, run = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
overrides = json.loads(sys.argv[6])
sys.path.insert(0, pkg)
from fsddim.config import load_config
import fsddim.train
from fsddim.train import train
fsddim.train.time = types.SimpleNamespace(time=time.process_time)   # the loop's rates in CPU time
torch.set_num_threads(threads)
cfg = load_config(preset, ["train.device=cpu", f"train.iterations={2 * iters}", f"train.log_every={iters}",
                           f"train.checkpoint_every={10 ** 9}"] + overrides)
train(cfg, run, quiet=True)
rec = [json.loads(l) for l in open(run + "/train_log.jsonl") if '"progress"' in l][-1]
print(json.dumps({"it_per_s": rec["it_per_s"], "batch_size": cfg["train"]["batch_size"],
                  "T": cfg["model"]["snn_timesteps"], "torch": torch.__version__}))
'''


def measure(pkg, preset, iters, threads, overrides):
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="train_bench_") as run:
        res = subprocess.run([sys.executable, "-c", WORKER, os.path.abspath(pkg), preset, str(iters), str(threads), run,
                              json.dumps(overrides)], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"train_bench: {pkg} {preset} failed:\n{res.stderr[-3000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["process_wall_s"] = time.time() - t0
    return out


def parse_variant(text):
    if "=" not in text:
        raise SystemExit(f"--variant {text}: expected NAME=PACKAGE_DIR[:key=value,...]")
    name, rest = text.split("=", 1)
    pkg, _, sets = rest.partition(":")
    if not os.path.isdir(os.path.join(pkg, "fsddim")):
        raise SystemExit(f"--variant {text}: {pkg} holds no fsddim package")
    return name, pkg, [s for s in sets.split(",") if s]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", action="append", required=True, help="NAME=PACKAGE_DIR[:key=value,...]")
    ap.add_argument("--presets", nargs="+", default=["tiny", "small"])
    ap.add_argument("--iters", default="tiny=10,small=1", help="timed iterations per preset (as many again warm up)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None, help="JSON results (default: print only)")
    ap.add_argument("--command", default=" ".join(sys.argv), help="the command recorded in the results")
    ap.add_argument("--note", action="append", default=[], help="KEY=VALUE recorded in the results")
    a = ap.parse_args()
    variants = [parse_variant(v) for v in a.variant]
    iters = dict((k, int(v)) for k, v in (p.split("=") for p in a.iters.split(",")))
    results = {"command": a.command, "threads": a.threads, "repeats": a.repeats, "cpu": platform.processor() or platform.machine(),
               "cpu_count": os.cpu_count(), "nice": os.nice(0), "load_average_start": os.getloadavg(),
               "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "presets": {}}
    results.update(dict(n.split("=", 1) for n in a.note))
    for preset in a.presets:
        k = iters[preset]
        runs = {name: [] for name, _, _ in variants}
        walls = {name: [] for name, _, _ in variants}
        loads = []
        for r in range(a.repeats):
            for name, pkg, sets in variants:
                m = measure(pkg, preset, k, a.threads, sets)
                ips = m["it_per_s"] * m["batch_size"]
                runs[name].append(ips)
                walls[name].append(m["process_wall_s"])
                loads.append(os.getloadavg()[0])
                print(f"{preset} repeat {r} {name}: {ips:.2f} images per CPU-second (process wall {m['process_wall_s']:.0f} s; batch {m['batch_size']}, T {m['T']}, "
                      f"load {loads[-1]:.1f})", flush=True)
        entry = {"timed_iterations": k, "batch_size": m["batch_size"], "T": m["T"], "load_average_1min": loads,
                 "images_per_cpu_s": {name: {"runs": v, "median": statistics.median(v)} for name, v in runs.items()},
                 "process_wall_s": walls}
        first = variants[0][0]
        entry["speedup_vs_" + first] = {name: statistics.median(v) / statistics.median(runs[first]) for name, v in runs.items()}
        results["presets"][preset] = entry
    results["load_average_end"] = os.getloadavg()
    results["variants"] = {name: {"package": pkg, "overrides": sets} for name, pkg, sets in variants}
    text = json.dumps(results, indent=1, sort_keys=True)
    if a.out:
        with open(a.out + ".tmp", "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(a.out + ".tmp", a.out)
    print(text)


if __name__ == "__main__":
    main()
