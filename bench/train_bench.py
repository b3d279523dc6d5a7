"""Training throughput on this machine's CPU: images/s of one fsddim training iteration per preset, before and
after a change, measured interleaved step by step in one process.

The "before" fsddim package (a directory, e.g. an older revision taken with `git archive`) is imported under
another name next to this checkout's; both build the same model from the same seed. Each training iteration
is the loop of fsddim.train without the data pipeline and the EMA: noised batch of real training images,
forward, the FSDDIM loss, backward, Adam step. One warm-up iteration per variant, then REPEATS rounds, each
running one iteration of every variant in turn (before, after_contiguous, after), so that the variants
share the machine's load at the granularity of one iteration. Recorded per iteration: wall time and the
process's CPU time (with one thread, CPU time is what one core of its own would take; other jobs on shared
cores still slow it through the memory system), the minor page faults, and the load average.

The memory allocator is a property of the process (LD_PRELOAD, scripts/lib/allocator.sh), so allocators are
compared across processes: bench/run_train_bench.sh alternates one process per allocator, round after round,
each writing its iterations with --raw, and `--merge RAW...` combines them: medians per allocator and variant
of every round's iterations, speedups against glibc's malloc with the "before" package.

  /usr/bin/python3 bench/train_bench.py --before DIR/model [--presets tiny small] [--repeats 3] [--threads 1]
      [--out bench/results/train.json | --raw ONE_PROCESS.json]
  /usr/bin/python3 bench/train_bench.py --merge RAW.json... --out bench/results/train.json
"""
from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import platform
import resource
import statistics
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_package(name, directory):
    """The fsddim package in `directory` imported as `name` (its relative imports stay inside it)."""
    init = os.path.join(directory, "fsddim", "__init__.py")
    if not os.path.exists(init):
        raise SystemExit(f"train_bench: {directory} holds no fsddim package ({init} missing)")
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[os.path.dirname(init)])
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    for sub in ("config", "net", "diffusion", "data"):
        importlib.import_module(f"{name}.{sub}")
    return mod


class Variant:
    def __init__(self, label, pkg, preset, channels_last):
        cfg = pkg.config.load_config(preset, ["train.device=cpu"])
        self.label, self.pkg, self.cfg = label, pkg, cfg
        torch.manual_seed(cfg["train"]["seed"])
        self.model = pkg.net.FSDDIMNet(cfg["model"]).train()
        if channels_last:
            self.model.memory_format = torch.channels_last
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg["train"]["lr"])
        sched = pkg.diffusion.Schedule(cfg["diffusion"]["timesteps"], cfg["diffusion"]["cosine_s"])
        self.timesteps, self.tables = sched.timesteps, sched.tables()
        images, _ = pkg.data.load("train")
        self.batch = cfg["train"]["batch_size"]
        self.x0 = pkg.data.to_model_range(images[: self.batch], cfg["model"]["image_size"])

    def step(self, it):
        g = torch.Generator().manual_seed(it)
        t = torch.randint(0, self.timesteps, (self.batch,), generator=g)
        noise = torch.randn(self.x0.shape, generator=g)
        x_t = self.tables[0][t].view(-1, 1, 1, 1) * self.x0 + self.tables[1][t].view(-1, 1, 1, 1) * noise
        out = self.model(x_t, t)
        loss = self.pkg.diffusion.losses(out, self.x0, noise, t, self.tables, self.cfg["diffusion"]["recons_loss"])[0]
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return float(loss)


def allocator():
    """'jemalloc' or 'tcmalloc' when mapped into this process, else 'glibc'."""
    with open("/proc/self/maps", encoding="utf-8") as f:
        maps = f.read()
    return next((name for name in ("jemalloc", "tcmalloc") if f"lib{name}" in maps), "glibc")


def summarise(entry, rec, batch):
    """Medians of wall and CPU time per variant label, as images/s, and the speedups against the baseline
    label: 'glibc/before' when the labels carry an allocator, else 'before'."""
    base = "glibc/before" if "glibc/before" in rec else "before"
    for key, unit in (("wall_s", "images_per_s"), ("cpu_s", "images_per_cpu_s")):
        med = {k: batch / statistics.median(v[key]) for k, v in rec.items()}
        entry[unit] = med
        entry[unit + "_speedup_vs_" + base.replace("/", "_")] = {k: m / med[base] for k, m in med.items()}
    entry["minor_faults_per_iteration"] = {k: statistics.median(v["minflt"]) for k, v in rec.items() if "minflt" in v}


def merge(paths, out_path, command, notes):
    """One result from several single-process raw files (one per allocator and round)."""
    runs = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            runs.append(json.load(f))
    if not runs:
        raise SystemExit("train_bench --merge: no raw files given")
    results = {k: runs[0][k] for k in ("threads", "torch", "cpu", "cpu_count", "nice")}
    results.update({"command": command, "processes": len(runs), "repeats_per_process": runs[0]["repeats"],
                    "allocators": sorted({r["allocator"] for r in runs}), "presets": {}, **notes,
                    "load_average_start": runs[0]["load_average_start"], "load_average_end": runs[-1]["load_average_end"],
                    "started_utc": runs[0]["started_utc"]})
    for preset in runs[0]["presets"]:
        rec, loads = {}, []
        for r in runs:
            e = r["presets"][preset]
            loads += e["load_average_1min"]
            for label, it in e["iterations"].items():
                dst = rec.setdefault(f"{r['allocator']}/{label}", {"wall_s": [], "cpu_s": [], "loss": [], "minflt": []})
                for k in dst:
                    dst[k] += it.get(k, [])
        batch = runs[0]["presets"][preset]["batch_size"]
        entry = {"batch_size": batch, "T": runs[0]["presets"][preset]["T"], "load_average_1min": loads, "iterations": rec}
        summarise(entry, rec, batch)
        results["presets"][preset] = entry
    write(results, out_path)


def write(results, path):
    text = json.dumps(results, indent=1, sort_keys=True)
    if path:
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(path + ".tmp", path)
    print(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", help="directory holding the 'before' fsddim package")
    ap.add_argument("--merge", nargs="+", help="combine these single-process raw files (globs allowed) into --out")
    ap.add_argument("--raw", help="write this process's iterations here (for --merge)")
    ap.add_argument("--presets", nargs="+", default=["tiny", "small"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None, help="JSON results (default: print only)")
    ap.add_argument("--command", default=" ".join(sys.argv), help="the command recorded in the results")
    ap.add_argument("--note", action="append", default=[], help="KEY=VALUE recorded in the results")
    a = ap.parse_args()
    notes = dict(n.split("=", 1) for n in a.note)
    if a.merge:
        merge(sorted(p for g in a.merge for p in (glob.glob(g) or [g])), a.out, a.command, notes)
        return
    if not a.before:
        ap.error("--before is required (or --merge)")
    torch.set_num_threads(a.threads)
    before = load_package("fsddim_before", a.before)
    after = load_package("fsddim", os.path.join(ROOT, "model"))
    results = {"command": a.command, "threads": a.threads, "repeats": a.repeats, "torch": torch.__version__,
               "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(), "nice": os.nice(0),
               "load_average_start": os.getloadavg(), "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "allocator": allocator(), "presets": {}}
    results.update(notes)
    for preset in a.presets:
        variants = [Variant("before", before, preset, False), Variant("after_contiguous", after, preset, False),
                    Variant("after", after, preset, True)]
        for v in variants:
            v.step(0)                                   # warm-up: allocator, oneDNN primitives
        rec = {v.label: {"wall_s": [], "cpu_s": [], "loss": [], "minflt": []} for v in variants}
        loads = []
        for r in range(a.repeats):
            for v in variants:
                w0, c0, f0 = time.perf_counter(), time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                loss = v.step(1 + r)
                w, c = time.perf_counter() - w0, time.process_time() - c0
                rec[v.label]["minflt"].append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
                rec[v.label]["wall_s"].append(w)
                rec[v.label]["cpu_s"].append(c)
                rec[v.label]["loss"].append(loss)
                loads.append(os.getloadavg()[0])
                print(f"{preset} round {r} {results['allocator']}/{v.label}: {v.batch / w:.2f} images/s wall, {v.batch / c:.2f} images per "
                      f"CPU-second (load {loads[-1]:.1f})", flush=True)
        batch = variants[0].batch
        entry = {"batch_size": batch, "T": variants[0].cfg["model"]["snn_timesteps"], "load_average_1min": loads,
                 "iterations": rec}
        summarise(entry, rec, batch)
        results["presets"][preset] = entry
    results["load_average_end"] = os.getloadavg()
    write(results, a.raw or a.out)


if __name__ == "__main__":
    main()
