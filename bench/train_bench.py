"""Training throughput on this machine's CPU: images/s of one fsddim training iteration per preset, before and
after a change, measured interleaved step by step in one process.

The "before" fsddim package (a directory, e.g. an older revision taken with `git archive`) is imported under
another name next to this checkout's; both build the same model from the same seed. Each training iteration
is the loop of fsddim.train without the data pipeline and the EMA: noised batch of real training images,
forward, the FSDDIM loss, backward, Adam step. One warm-up iteration per variant, then REPEATS rounds, each
running one iteration of every variant in turn (before, after_contiguous, after), so that the variants
share the machine's load at the granularity of one iteration. Recorded per iteration: wall time and the
process's CPU time (with one thread, CPU time is what one core of its own would take; other jobs on shared
cores still slow it through the memory system), and the load average. bench/run_train_bench.sh runs it.

  /usr/bin/python3 bench/train_bench.py --before DIR/model [--presets tiny small] [--repeats 3] [--threads 1]
      [--out bench/results/train.json]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="directory holding the 'before' fsddim package")
    ap.add_argument("--presets", nargs="+", default=["tiny", "small"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None, help="JSON results (default: print only)")
    ap.add_argument("--command", default=" ".join(sys.argv), help="the command recorded in the results")
    ap.add_argument("--note", action="append", default=[], help="KEY=VALUE recorded in the results")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    before = load_package("fsddim_before", a.before)
    after = load_package("fsddim", os.path.join(ROOT, "model"))
    results = {"command": a.command, "threads": a.threads, "repeats": a.repeats, "torch": torch.__version__,
               "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(), "nice": os.nice(0),
               "load_average_start": os.getloadavg(), "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "presets": {}}
    results.update(dict(n.split("=", 1) for n in a.note))
    for preset in a.presets:
        variants = [Variant("before", before, preset, False), Variant("after_contiguous", after, preset, False),
                    Variant("after", after, preset, True)]
        for v in variants:
            v.step(0)                                   # warm-up: allocator, oneDNN primitives
        rec = {v.label: {"wall_s": [], "cpu_s": [], "loss": []} for v in variants}
        loads = []
        for r in range(a.repeats):
            for v in variants:
                w0, c0 = time.perf_counter(), time.process_time()
                loss = v.step(1 + r)
                w, c = time.perf_counter() - w0, time.process_time() - c0
                rec[v.label]["wall_s"].append(w)
                rec[v.label]["cpu_s"].append(c)
                rec[v.label]["loss"].append(loss)
                loads.append(os.getloadavg()[0])
                print(f"{preset} round {r} {v.label}: {v.batch / w:.2f} images/s wall, {v.batch / c:.2f} images per "
                      f"CPU-second (load {loads[-1]:.1f})", flush=True)
        batch = variants[0].batch
        entry = {"batch_size": batch, "T": variants[0].cfg["model"]["snn_timesteps"], "load_average_1min": loads,
                 "iterations": rec}
        for key, unit in (("wall_s", "images_per_s"), ("cpu_s", "images_per_cpu_s")):
            med = {k: batch / statistics.median(v[key]) for k, v in rec.items()}
            entry[unit] = med
            entry[unit + "_speedup_vs_before"] = {k: m / med["before"] for k, m in med.items()}
        results["presets"][preset] = entry
    results["load_average_end"] = os.getloadavg()
    text = json.dumps(results, indent=1, sort_keys=True)
    if a.out:
        with open(a.out + ".tmp", "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(a.out + ".tmp", a.out)
    print(text)


if __name__ == "__main__":
    main()
