"""Fixed-point forward throughput on this machine's CPU: the bit-exact `FixedNet` (model/fsddim/fixed.py)
before and after a change, on one exported network, measured interleaved call by call in one process.

The "before" fsddim package (a directory, e.g. an older revision taken with `git archive`) is imported under
another name next to this checkout's. Both build a FixedNet of the same network file; every round runs one
network call (T SNN timesteps, a batch of B seeded noise payloads at seeded DDIM contexts) of each in turn,
so that both share the machine's load at the granularity of one call, and checks that the two return the same
readout currents, bit for bit. Recorded per call: wall and process CPU time (one thread); per variant: the
bytes of the tensors the FixedNet holds (weights, parameters, bias tables). The sampler makes S such calls
per image batch, so images per CPU-second of the sampler at S steps is about B / (S x CPU time per call).

  /usr/bin/python3 bench/fixed_bench.py --before DIR/model [--network models/fsddim_small/network.h5]
      [--batch 100] [--repeats 5] [--threads 1] [--before-label REV] [--out bench/results/fixed.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch

from train_bench import load_package   # bench/: the "before" package imported under another name

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def held_bytes(fnet):
    """Bytes of every tensor a FixedNet keeps between calls."""
    seen, total = set(), 0

    def add(t):
        nonlocal total
        if isinstance(t, torch.Tensor) and id(t) not in seen:
            seen.add(id(t))
            total += t.numel() * t.element_size()
    for lst in fnet.incoming.values():
        for _, w in lst:
            add(w)
    for w in fnet.fast.values():
        add(w)
    for prm in fnet.params.values():
        for v in prm.values():
            add(v)
    return total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="the 'before' fsddim package directory (model/fsddim of a revision)")
    ap.add_argument("--before-label", help="what --before is (a git revision), for the results file")
    ap.add_argument("--network", default=os.path.join(ROOT, "models", "fsddim_small", "network.h5"))
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10, help="sampler steps S for the images-per-CPU-second figure")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "fixed.json"))
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    sys.path.insert(0, os.path.join(ROOT, "model"))
    import fsddim.fixed as after_fixed
    from fsddim import netfile
    before_pkg = os.path.abspath(a.before.rstrip("/"))
    if os.path.basename(before_pkg) != "fsddim":
        before_pkg = os.path.join(before_pkg, "fsddim")
    if not os.path.isfile(os.path.join(before_pkg, "fixed.py")):
        sys.exit(f"fixed_bench: --before {a.before}: no fsddim/fixed.py there")
    load_package("fsddim_before", os.path.dirname(before_pkg))
    import fsddim_before.fixed as before_fixed

    net = netfile.read(a.network)
    meta = after_fixed.sampler_meta(net)
    g = torch.Generator().manual_seed(1)
    size = int(torch.tensor(meta["shape"]).prod())
    lo, hi = -(1 << (meta["payload_bits"] - 1)), (1 << (meta["payload_bits"] - 1)) - 1
    pay = torch.clamp(torch.round(torch.randn(a.batch, size, generator=g) * (1 << meta["payload_frac"])), lo, hi).long()
    pay = pay.unsqueeze(0).repeat(meta["T"], 1, 1)
    ctx = torch.randint(0, 10, (a.batch,), generator=g)
    variants = {"before": before_fixed.FixedNet(net), "after": after_fixed.FixedNet(net)}
    held = {k: held_bytes(v) for k, v in variants.items()}
    runs = {k: [] for k in variants}
    ref = None
    for r in range(a.repeats + 1):                      # round 0 warms up
        for name, fnet in variants.items():
            w0, c0 = time.perf_counter(), time.process_time()
            out = fnet.run({meta["input"]: pay}, ctx, meta["T"])["currents"][meta["readout"]]
            w1, c1 = time.perf_counter(), time.process_time()
            if ref is None:
                ref = out
            elif not torch.equal(out, ref):
                sys.exit(f"fixed_bench: {name} differs from the first variant's readout currents (round {r})")
            if r:
                runs[name].append({"wall_s": w1 - w0, "cpu_s": c1 - c0, "load1": os.getloadavg()[0]})
        if r:
            print(f"round {r}: " + ", ".join(f"{k} {runs[k][-1]['cpu_s']:.2f} CPU-s" for k in runs), flush=True)
    res = {"network": os.path.relpath(a.network, ROOT), "batch": a.batch, "T": meta["T"], "threads": a.threads,
           "repeats": a.repeats, "before": a.before_label or a.before, "host": platform.node(), "torch": torch.__version__,
           "allocator": "jemalloc" if "jemalloc" in os.environ.get("LD_PRELOAD", "") else "glibc",
           "bit_identical": True, "variants": {}}
    for k, rows in runs.items():
        cpu = statistics.median(x["cpu_s"] for x in rows)
        res["variants"][k] = {"cpu_s_per_call_median": cpu, "wall_s_per_call_median": statistics.median(x["wall_s"] for x in rows),
                              "cpu_s_per_image_call": cpu / a.batch,
                              f"sampler_images_per_cpu_s_S{a.steps}": a.batch / (a.steps * cpu),
                              "held_tensor_bytes": held[k], "calls": rows}
    b, f = res["variants"]["before"], res["variants"]["after"]
    res["speedup_cpu"] = b["cpu_s_per_call_median"] / f["cpu_s_per_call_median"]
    res["held_bytes_ratio"] = b["held_tensor_bytes"] / f["held_tensor_bytes"]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as fh:
        json.dump(res, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print(f"before {b['cpu_s_per_call_median']:.2f} CPU-s/call, {b['held_tensor_bytes'] / 2**20:.0f} MiB held; "
          f"after {f['cpu_s_per_call_median']:.2f}, {f['held_tensor_bytes'] / 2**20:.0f} MiB; "
          f"speedup {res['speedup_cpu']:.2f}x -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
