"""Bit-exactness check: the fixed-point forward against the C++ reference simulator on an exported file.

  cd model && /usr/bin/python3 -m fsddim.verify NET.h5 [--context 500] [--images 2] [--seed 0]

Steps: input payloads for tau = 0..T-1 (a noised test image per sample, varied per tau as the sampler
varies them) -> fixed-point forward (same-timestep) -> `spikemesh balance` -> `spikemesh reference` for
D + T timesteps -> every population's spikes at rows depth(p) + tau and the readout currents at rows
D + tau must equal the fixed-point forward's, exactly. One reference run per image (the simulator takes
one stimulus); SPIKEMESH_BIN names the binary (default build/spikemesh under the repository root).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch

from . import data, diffusion, netfile
from .errors import FsddimError, tool_main
from .fixed import FixedNet, sampler_meta


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def spikemesh_bin():
    b = os.environ.get("SPIKEMESH_BIN", os.path.join(repo_root(), "build", "spikemesh"))
    return b if os.path.isabs(b) else os.path.join(repo_root(), b)


def _run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise FsddimError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip() or r.stdout.strip()}")
    return r.stdout


def make_payloads(meta, n_images, context, seed):
    """(T, n, size) int64 payloads: noised test images at diffusion step `context`, varied per tau."""
    images, _ = data.load("test")
    C, H, W = meta["shape"]
    x0 = data.to_model_range(images[:n_images], H)
    g = torch.Generator().manual_seed(seed)
    sched_a = np.sqrt(diffusion.cosine_alpha_bar(meta["timesteps"]))
    a = float(sched_a[context])
    s = float(np.sqrt(1 - a * a))
    T = meta["T"]
    base = a * x0 + s * torch.randn(x0.shape, generator=g)
    x = base.unsqueeze(0) + 0.05 * torch.randn((T,) + tuple(x0.shape), generator=g)
    pf, pb = meta["payload_frac"], meta["payload_bits"]
    pay = torch.clamp(torch.round(x.double() * (1 << pf)), -(1 << (pb - 1)), (1 << (pb - 1)) - 1).long()
    return pay.view(T, n_images, -1)


def _depth_attr(path):
    with h5py.File(path, "r") as f:
        v = f["metadata"].attrs["pipeline_depth"]
    return int(v.decode() if isinstance(v, bytes) else v)


def compare(net_path, payloads, context, T, binary=None, workdir=None):
    """Runs the fixed-point forward and (balance + reference) on one stimulus: payloads {input: (T, N)}.
    Returns {'exact', 'depth', 'mismatch' {population: count}, 'spikes'}."""
    binary = binary or spikemesh_bin()
    if not os.path.exists(binary):
        raise FsddimError(f"{binary}: spikemesh binary not found (build it: cmake --build build --target spikemesh, "
                          f"or set SPIKEMESH_BIN)")
    net = netfile.read(net_path)
    ours = FixedNet(net).run({k: v.unsqueeze(1) for k, v in payloads.items()}, torch.tensor([context]), T, record_spikes=True)
    own_tmp = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="fsddim-verify-")
    bal, stim, raster = (os.path.join(workdir, n) for n in ("balanced.h5", "stimulus.h5", "raster.h5"))
    try:
        _run([binary, "balance", net_path, bal])
        depth = _depth_attr(bal)
        pop_depth = {p.name: p.bias_start for p in netfile.read(bal).populations}
        with h5py.File(stim, "w") as f:
            for k, v in payloads.items():
                f.create_dataset(f"inputs/{k}", data=v.numpy().astype(np.int32))
        _run([binary, "reference", bal, "--stimulus", stim, "--timesteps", str(depth + T), "--context", str(context), "--out", raster])
        rep = {"exact": True, "depth": depth, "mismatch": {}, "spikes": 0, "currents_compared": 0}
        with h5py.File(raster, "r") as f:
            for p in net.populations:
                if p.kind == "input":
                    continue
                d = pop_depth[p.name]
                ref_s = f[f"populations/{p.name}/spikes"][d:d + T].astype(np.int64)
                our_s = ours["spikes"][p.name][:, 0, :].numpy().astype(np.int64)
                bad = int((ref_s != our_s).sum()) + (0 if ref_s.shape == our_s.shape else 1)
                rep["spikes"] += int(our_s.sum())
                if p.kind == "readout":
                    ref_c = f[f"populations/{p.name}/currents"][d:d + T].astype(np.int64)
                    our_c = ours["currents"][p.name][:, 0, :].numpy()
                    bad += int((ref_c != our_c).sum()) + (0 if ref_c.shape == our_c.shape else 1)
                    rep["currents_compared"] += int(our_c.size)
                if bad:
                    rep["mismatch"][p.name] = bad
                    rep["exact"] = False
        rep["ours"] = ours
        return rep
    finally:
        if own_tmp:
            for fn in os.listdir(workdir):
                os.unlink(os.path.join(workdir, fn))
            os.rmdir(workdir)


def verify(net_path, context=500, n_images=1, seed=0, binary=None):
    """The FSDDIM check on an exported file: n_images noised test images at diffusion step `context`."""
    net = netfile.read(net_path)
    meta = sampler_meta(net)
    pay = make_payloads(meta, n_images, context, seed)
    report = {"exact": True, "mismatch": {}, "spikes": 0, "images": n_images, "context": context, "T": meta["T"]}
    for i in range(n_images):
        r = compare(net_path, {meta["input"]: pay[:, i, :]}, context, meta["T"], binary)
        report["depth"] = r["depth"]
        report["spikes"] += r["spikes"]
        report["exact"] &= r["exact"]
        for k, v in r["mismatch"].items():
            report["mismatch"][k] = report["mismatch"].get(k, 0) + v
    return report


@tool_main("fsddim.verify")
def main(argv=None):
    ap = argparse.ArgumentParser(prog="fsddim.verify", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("network")
    ap.add_argument("--context", type=int, default=500, help="diffusion step (bias-table context)")
    ap.add_argument("--images", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    r = verify(a.network, a.context, a.images, a.seed)
    print(f"pipeline depth D = {r['depth']}, T = {r['T']}, context {r['context']}, {r['images']} image(s), "
          f"{r['spikes']} spikes compared")
    if r["exact"]:
        print("bit-exact: every population's spikes and the readout currents equal the C++ reference simulator's")
        return 0
    print(f"MISMATCH: {r['mismatch']}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
