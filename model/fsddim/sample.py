"""N generated images in one .npy file, for scoring outside this repository.

  scripts/fsddim sample --network models/fsddim_small/network.h5 --steps 10 --samples 2000 --seed 0 --out x.npy
  scripts/fsddim sample --checkpoint models/fsddim_small/float.pt --steps 10 --samples 2000 --seed 0 --out x.npy

Writes (N, H, W) float32 in [0, 1] (one channel) or (N, C, H, W) for more channels, whole or not at all.
--network: the fixed-point model through the C++ reference sampler (`spikemesh sample`, bit-identical to
the chip's images for the same seed), split into contiguous pieces of images run in parallel, one process
per worker; image k has noise stream (seed, k) whatever the number of workers, so the file does not depend
on --workers. --checkpoint: the float model (EMA weights when the checkpoint has them) with the sampler of
model/fsddim/diffusion.py, noise from torch's generator seeded with --seed, in batches.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import h5py
import numpy as np
import torch

from .errors import FsddimError, tool_main
from .files import atomic_output


class Progress:
    """One line on stderr: images done of N, elapsed seconds."""

    def __init__(self, total, quiet=False):
        self.total, self.quiet, self.start = total, quiet, time.time()
        self.lock = threading.Lock()

    def show(self, done):
        if self.quiet:
            return
        with self.lock:
            width = 30
            fill = int(width * done / self.total) if self.total else width
            print(f"\r[{'#' * fill}{' ' * (width - fill)}] {done:.1f}/{self.total} images  "
                  f"{time.time() - self.start:.0f} s ", end="", file=sys.stderr, flush=True)

    def finish(self):
        if not self.quiet:
            print(file=sys.stderr, flush=True)


def spikemesh_binary():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.environ.get("SPIKEMESH_BIN") or os.path.join(root, "build", "spikemesh")
    if not os.access(path, os.X_OK):
        raise FsddimError(f"{path}: the spikemesh binary is not there (build it, or set SPIKEMESH_BIN)")
    return path


def pieces(n, workers):
    """Contiguous (first, count) ranges covering 0..n-1, as even as possible."""
    workers = max(1, min(workers, n))
    base, extra = divmod(n, workers)
    out, first = [], 0
    for k in range(workers):
        count = base + (k < extra)
        out.append((first, count))
        first += count
    return out


_STEP = re.compile(r"image (\d+)/(\d+)\s+DDIM step (\d+)/(\d+)")


def sample_network(network, steps, n, seed, workers, progress):
    """(N, C, H, W) float64 images in [-1, 1] from the C++ reference sampler, in parallel pieces."""
    if not os.path.exists(network):
        raise FsddimError(f"{network}: network file not found")
    binary = spikemesh_binary()
    tmp = tempfile.mkdtemp(prefix="fsddim-sample-")
    try:
        jobs = []
        for first, count in pieces(n, workers):
            out = os.path.join(tmp, f"piece{first}")
            cmd = [binary, "sample", network, "--steps", str(steps), "--images", str(count), "--seed", str(seed),
                   "--first-image", str(first), "--out", out]
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            jobs.append({"proc": p, "out": out, "count": count, "done": 0.0, "err": []})

        def follow(job):  # the child's progress bar: carriage-return separated "image i/n  DDIM step s/S"
            buf = ""
            for ch in iter(lambda: job["proc"].stderr.read(1), ""):
                if ch not in "\r\n":
                    buf += ch
                    continue
                m = _STEP.search(buf)
                if m:
                    i, _, s, total = (int(g) for g in m.groups())
                    job["done"] = i - 1 + s / total
                    progress.show(sum(j["done"] for j in jobs))
                elif buf.strip():
                    job["err"].append(buf)
                buf = ""
            if buf.strip():
                job["err"].append(buf)

        threads = [threading.Thread(target=follow, args=(j,), daemon=True) for j in jobs]
        for t in threads:
            t.start()
        failed = None
        for j, t in zip(jobs, threads):
            j["proc"].stdout.read()
            code = j["proc"].wait()
            t.join()
            if code != 0 and failed is None:
                failed = f"spikemesh sample failed (exit {code}): {' '.join(j['err'][-3:]) or 'no message'}"
        if failed:
            raise FsddimError(failed)
        images = []
        for j in jobs:
            with h5py.File(os.path.join(j["out"], "samples.h5"), "r") as f:
                images.append(f["images"][()])
        return np.concatenate(images)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def sample_checkpoint(checkpoint, steps, n, seed, batch, progress, T=None):
    """(N, C, H, W) float images in [-1, 1] from a float (or QAT) checkpoint's float model: the sampler that
    fsddim.evaluate scores (same noise for the same seed)."""
    from .evaluate import sample_model
    from .train import load_checkpoint
    if not os.path.exists(checkpoint):
        raise FsddimError(f"{checkpoint}: checkpoint not found")
    ck = load_checkpoint(checkpoint)
    images01 = sample_model(ck["model"], ck["config"], steps, n, seed, batch=batch, T=T, on_batch=progress.show)
    return images01.numpy() * 2 - 1


def to_unit(images):
    """[-1, 1] (N, C, H, W) -> float32 [0, 1], (N, H, W) for one channel."""
    x = np.clip((np.asarray(images, dtype=np.float64) + 1.0) / 2.0, 0.0, 1.0).astype(np.float32)
    return x[:, 0] if x.shape[1] == 1 else x


@tool_main("fsddim.sample")
def main(argv=None):
    ap = argparse.ArgumentParser(prog="fsddim.sample", description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="float or QAT checkpoint: its float model (EMA weights)")
    src.add_argument("--network", help="exported network file: the fixed-point model (C++ reference sampler)")
    ap.add_argument("--steps", type=int, required=True, help="DDIM steps S")
    ap.add_argument("--samples", type=int, required=True, help="images N")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help=".npy file to write")
    ap.add_argument("--workers", type=int, default=0, help="--network: parallel processes (default: CPU cores)")
    ap.add_argument("--batch", type=int, default=250, help="--checkpoint: images per batch")
    ap.add_argument("--T", type=int, default=None, help="--checkpoint: SNN timesteps per call (default: as trained)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    a = ap.parse_args(argv)
    if a.samples < 1:
        raise FsddimError(f"--samples: expected at least 1, got {a.samples}")
    if a.steps < 1:
        raise FsddimError(f"--steps: expected at least 1, got {a.steps}")
    if not a.out.endswith(".npy"):
        raise FsddimError(f"--out {a.out}: expected a .npy file name")
    progress = Progress(a.samples, a.quiet)
    if a.network:
        images = sample_network(a.network, a.steps, a.samples, a.seed, a.workers or os.cpu_count() or 1, progress)
    else:
        torch.set_num_threads(os.cpu_count() or 1)
        images = sample_checkpoint(a.checkpoint, a.steps, a.samples, a.seed, a.batch, progress, a.T)
    progress.finish()
    x = to_unit(images)
    with atomic_output(a.out) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, x)
    print(f"wrote {a.out}: {x.shape} float32 in [0, 1]", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
