"""Expected synaptic operations on the chip, from the spikes of a float forward: the energy-aware training
regulariser (train.synops_lambda) and the export's per-image estimate (/metadata fsddim_expected_synops_json).

A spike of population p at pixel (y, x) reaches, through each of p's projections, every target neuron that
one of its (upsample replica, kernel tap) pairs lands on inside the target map, in each of the target's
C_out channels; each is one synaptic operation, as the neurocore walks the conv scatter per spike
(model/conv_taps.h, for_each_conv_tap). A one-to-one projection (identity shortcut) reaches one neuron.
The counts follow the chip graph (quant.lower: real-valued paths folded into their consumers), so the fan-out
map F_p(y, x), the synaptic operations per spike at (y, x), does not depend on the weights. One network call
of image n costs
    synops(n) = sum_p sum_{t, c, y, x} s_p[t, n, c, y, x] F_p(y, x).
Not counted there: the graded input x (payloads, not spikes: the same for every model of a given size;
`input_synops_per_call` gives it) and the time embedding (bias tables on the chip).
"""
from __future__ import annotations

import numpy as np
import torch

from .errors import FsddimError


def axis_reach(size, out_size, kernel, stride, pad, upsample):
    """Per source index along one axis: how many (upsample offset, tap) pairs reach an output index in
    [0, out_size) (the one-axis loop of for_each_conv_tap_in_rows). int64 (size,)."""
    out = np.zeros(size, dtype=np.int64)
    for i in range(size):
        for a in range(upsample):
            for k in range(kernel):
                n = i * upsample + a + pad - k
                if n >= 0 and n % stride == 0 and n // stride < out_size:
                    out[i] += 1
    return out


def projection_fanout(src_res, dst_res, c_out, kernel, stride, pad, upsample):
    """Synaptic operations per spike of each source pixel (src_res, src_res) through one conv projection:
    C_out x reach(y) x reach(x) (the scatter is separable in rows and columns)."""
    r = axis_reach(src_res, dst_res, kernel, stride, pad, upsample)
    return c_out * np.outer(r, r)


def fanout_maps(model, with_input=False):
    """{population name: F_p (res, res) float64 tensor} for every population whose spikes reach a projection;
    with_input: also the graded input's ("x", per input channel)."""
    from .quant import lower
    if not model.spiking:
        raise FsddimError("synaptic operations: model.neuron = relu (the ANN twin) has no spikes")
    with torch.no_grad():
        pops = lower(model)
    res = {lp.name: lp.res for lp in pops}
    res["x"] = model.mcfg["image_size"]
    maps = {}
    for lp in pops:
        for pr in lp.projs:
            if pr.src == "x" and not with_input:
                continue
            if pr.encoding == "one_to_one":
                f = np.ones((res[pr.src], res[pr.src]), dtype=np.int64)
            else:
                c_out, _, kh, kw = pr.weight.shape
                if kh != kw:
                    raise AssertionError(f"{pr.name}: square kernels expected, got {kh} x {kw}")
                f = projection_fanout(res[pr.src], lp.res, c_out, kh, pr.stride, pr.pad, pr.upsample)
            maps[pr.src] = maps.get(pr.src, 0) + f
    return {k: torch.tensor(v, dtype=torch.float64) for k, v in maps.items()}


def synops_per_call(spike_counts, maps):
    """(N,) synaptic operations of one network call per image; spike_counts: {population: (N, H, W) spikes
    summed over the SNN timesteps and channels} (FSDDIMNet.forward(..., spike_counts=dict))."""
    total = None
    for name, f in maps.items():
        c = spike_counts[name]
        ops = (c * f.to(c.dtype).to(c.device)).sum((1, 2))
        total = ops if total is None else total + ops
    return total


def input_synops_per_call(model):
    """Synaptic operations of the graded input x in one call if every input pixel sends a payload at every
    SNN timestep (not counted by the estimate above: the same for every model of a given size)."""
    return float(model.T * model.mcfg["in_channels"] * fanout_maps(model, with_input=True)["x"].sum())


def max_synops_per_call(model, maps):
    """Synaptic operations of one call if every neuron spiked at every SNN timestep (the regulariser's scale)."""
    chans = {name: node.c for name, node in model.nodes.items() if model.kinds[name] == "pop"}
    return float(sum(model.T * chans[name] * float(f.sum()) for name, f in maps.items()))


@torch.no_grad()
def expected_synops(model, cfg, steps, n, seed):
    """Expected synaptic operations per generated image at each DDIM step count S, from the float forward of
    the model (eval mode) sampling n images from the initial noise of `seed` (evaluate.noise_for): the sum
    over the S network calls, averaged over the images. A JSON-ready dict."""
    from .evaluate import sample_model
    maps = fanout_maps(model)
    out = {"method": "float forward, eval mode; spikes x chip fan-out per population (fsddim/synops.py); the graded "
                     "input and the time embedding are not counted",
           "images": int(n), "seed": int(seed), "snn_timesteps": int(model.T),
           "max_per_call": max_synops_per_call(model, maps), "graded_input_per_call": input_synops_per_call(model),
           "per_image": {}}
    for S in steps:
        calls = []
        sample_model(model, cfg, S, n, seed, batch=n, on_call=lambda c: calls.append(synops_per_call(c, maps).double()))
        per_image = torch.stack(calls).sum(0)
        if len(calls) != S:
            raise AssertionError(f"S = {S}: {len(calls)} network calls")
        out["per_image"][str(S)] = {"mean": float(per_image.mean()), "min": float(per_image.min()),
                                    "max": float(per_image.max())}
    return out
