"""The float model's images for a chip run: same x_T, same S and T, float arithmetic throughout.

  scripts/fsddim float_images --checkpoint models/fsddim_small/float.pt --samples OUT/samples.h5 --out OUT/float_images.h5

`spikemesh run` calls this when `fsddim.float_checkpoint` is set and reports the PSNR of the chip's images
against these (report.json fsddim.quality.psnr_db_vs_float). The starting noise is the run's x_T exactly as
the chip saw it (samples.h5 /noise: Q.payload_frac_bits payloads of the first SNN timestep), so the two
differ only by what the chip changes: weight and state quantization, fixed-point currents and DDIM
coefficients, graded payload rounding. The checkpoint's float model (EMA weights when it has them) runs
the FSDDIM sampler of model/fsddim/diffusion.py in float64 on the CPU with one thread, so the same
inputs give the same bytes.

Output float_images.h5: /images (N, C, H, W) float64 in [-1, 1]; attributes checkpoint, iteration, phase,
steps, snn_timesteps, neuron.
"""
from __future__ import annotations

import argparse
import os
import sys

import h5py
import numpy as np
import torch

from . import diffusion
from .errors import FsddimError, tool_main
from .files import atomic_output
from .train import load_checkpoint


def read_samples(path):
    """x_T (N, C*H*W) as reals, images (N, C, H, W), S and T from a spikemesh samples.h5."""
    if not os.path.exists(path):
        raise FsddimError(f"{path}: samples file not found")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise FsddimError(f"{path}: not a readable HDF5 file: {e}") from None
    with f:
        if f.attrs.get("format") not in ("spikemesh-samples", b"spikemesh-samples"):
            raise FsddimError(f"{path}: not a spikemesh samples file (attribute 'format' should be 'spikemesh-samples')")
        for k in ("steps", "snn_timesteps", "payload_frac_bits"):
            if k not in f.attrs:
                raise FsddimError(f"{path}: attribute '{k}' missing")
        for k in ("noise", "images"):
            if k not in f:
                raise FsddimError(f"{path}: dataset '/{k}' missing")
        noise = f["noise"][()]          # (N, T, C, H, W) payloads, every SNN timestep the same x_T
        images = f["images"][()]
        pf = int(f.attrs["payload_frac_bits"])
        steps, T = int(f.attrs["steps"]), int(f.attrs["snn_timesteps"])
    if noise.ndim != 5 or images.ndim != 4 or noise.shape[0] != images.shape[0] or noise.shape[2:] != images.shape[1:]:
        raise FsddimError(f"{path}: /noise {noise.shape} and /images {images.shape} do not describe the same images "
                          "(expected (N, T, C, H, W) and (N, C, H, W))")
    x_T = noise[:, 0].astype(np.float64) / float(1 << pf)
    return x_T, images, steps, T


@torch.no_grad()
def float_images(checkpoint, x_T, steps, T):
    """Images (N, C, H, W) in [-1, 1] from the checkpoint's float model, starting at x_T (N, C, H, W)."""
    ck = load_checkpoint(checkpoint)
    model, cfg = ck["model"], ck["config"]
    m = cfg["model"]
    want = (m["in_channels"], m["image_size"], m["image_size"])
    if tuple(x_T.shape[1:]) != want:
        raise FsddimError(f"{checkpoint}: the model makes {want} images, the samples are {tuple(x_T.shape[1:])}")
    model = model.double().eval()
    if model.spiking:
        model.T = T
    sched = diffusion.Schedule(cfg["diffusion"]["timesteps"], cfg["diffusion"]["cosine_s"])
    noise = torch.from_numpy(x_T)
    n = noise.shape[0]

    def fn(x, t):
        return model(x, torch.full((n,), t, dtype=torch.long))
    img = diffusion.sample(fn, sched, noise.shape, model.T, steps, noise=noise)
    return img.numpy(), ck


def write_images(path, images, ck, checkpoint, steps, T):
    with atomic_output(path) as tmp, h5py.File(tmp, "w", track_order=True) as f:
        f.attrs["format"] = "spikemesh-float-images"
        f.attrs["checkpoint"] = os.path.abspath(checkpoint)
        f.attrs["iteration"] = int(ck["iteration"])
        f.attrs["phase"] = str(ck["phase"])
        f.attrs["neuron"] = str(ck["config"]["model"].get("neuron", "lif"))
        f.attrs["steps"] = steps
        f.attrs["snn_timesteps"] = T
        f.create_dataset("images", data=images.astype(np.float64))


@tool_main("fsddim.float_images")
def main(argv=None):
    ap = argparse.ArgumentParser(prog="fsddim.float_images", description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", required=True, help="float (or QAT) checkpoint; its float forward is used")
    ap.add_argument("--samples", required=True, help="samples.h5 of a spikemesh FSDDIM run (x_T, S, T)")
    ap.add_argument("--out", required=True, help="float_images.h5 to write")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    x_T, _, steps, T = read_samples(a.samples)
    images, ck = float_images(a.checkpoint, x_T, steps, T)
    write_images(a.out, images, ck, a.checkpoint, steps, T)
    return 0


if __name__ == "__main__":
    sys.exit(main())
