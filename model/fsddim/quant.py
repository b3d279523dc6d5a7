"""Quantization to the chip's formats: lowering to chip projections, scale calibration, QAT forward.

Lowering (`lower`) turns the trained graph into what the chip holds: tdBN folded into each projection's
weights and the population biases (running statistics), real-valued nodes composed with their consumers
(model.real_paths = fold), pool2 / up2 pre-ops expressed as stride-2 / upsample-2 convolutions, identity
shortcuts as one-to-one projections. Weights are in "membrane units" (threshold 1.0) of the target.

Scales. Population p, channel c has threshold vth_int = 64 * vth_mant (the chip's vth_mant << 6) for the
float threshold 1.0, so a real current I is the integer I * vth_int. vth_mant is chosen per channel by
calibration: as large as keeps |q| < 2^(21 - headroom_bits) on calibration data (the dendritic
accumulator wraps at 22 bits) and every weight representable. The readout's scale is a power of two,
2^readout_frac_bits, so that its currents are fixed-point numbers. The graded input carries x_t with
payload_frac_bits fractional bits.

Weights: 8-bit mixed mantissas whose LSB the chip drops, so the integer weight is j * 64 * 2^(e+1) with
j in -128..127 and one weight_exp e in -1..7 per projection (the smallest that fits the largest weight);
stored mantissa 2j. Biases: bias_mant (13 bit) << bias_exp with bias_exp per channel, fixed at
calibration with one spare bit; time-embedding biases become per-channel bias tables (contexts =
diffusion steps, phases = SNN timesteps).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .errors import FsddimError
from .lif import chip_lif
from .net import FSDDIMNet

ACCUM_LIMIT = (1 << 21) - 64       # |effective weight| limit of the chip
BIAS_MANT_MIN, BIAS_MANT_MAX = -4096, 4095
VTH_MANT_MAX = (1 << 17) - 1
MAX_READOUT_FRAC = 20              # keeps the fixed-point DDIM update inside int64


@dataclass
class LProj:
    name: str
    src: str
    dst: str
    encoding: str                  # "conv" or "one_to_one"
    weight: torch.Tensor           # conv: (C_out, C_in, kh, kw); one_to_one: (C,) per channel
    stride: int = 1
    pad: int = 0
    upsample: int = 1


@dataclass
class LPop:
    name: str
    kind: str                      # "cuba" or "readout"
    c: int
    res: int
    bias: torch.Tensor             # (C,) static bias, real units
    temb: object = None            # the Branch with the time embedding (its Linear), or None
    temb_gain: torch.Tensor = None # (C,) tdBN scale applied to the time embedding
    projs: list = field(default_factory=list)


def _bn_fold(bn):
    g = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return g, bn.bias - g * bn.running_mean


def _encode(name, src, dst, W, k, pre):
    if pre is None:
        return LProj(name, src, dst, "conv", W, 1, k // 2, 1)
    if pre == "up2":
        return LProj(name, src, dst, "conv", W, 1, k // 2, 2)
    if pre == "pool2":
        W2 = W.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3) / 4.0
        return LProj(name, src, dst, "conv", W2, 2, 2 * (k // 2), 1)
    raise AssertionError(pre)


def lower(model: FSDDIMNet):
    """The chip graph of a model: list of LPop in topological order (projections attached)."""
    if model.mcfg["real_paths"] == "published" and not model.mcfg["spike_up_down"]:
        raise FsddimError("model.real_paths = published: the published real-valued 3x3 convs (conv_in, up) do not fold "
                          "into chip projections; train with real_paths: fold to export")
    if model.mcfg["real_paths"] == "published" and not model.mcfg["activate_first_conv"]:
        raise FsddimError("model.real_paths = published with a real-valued conv_in cannot be exported; use real_paths: fold")
    if not model.spiking:
        raise FsddimError("model.neuron = relu (the ANN twin) has no chip form")
    pops = []
    for name in model.order:
        if model.kinds[name] != "pop":
            continue
        node = model.nodes[name]
        bias = torch.zeros(node.c, device=next(model.parameters()).device)
        lp = LPop(name, "readout" if node.readout else "cuba", node.c, node.res, bias)
        count = 0
        for br in node.branches:
            if br.bn is not None:
                g, b = _bn_fold(br.bn)
            else:
                g, b = torch.ones_like(br.bias), br.bias
            lp.bias = lp.bias + b
            if br.temb is not None:
                lp.temb, lp.temb_gain = br.temb, g
            for p in br.projs:
                if p.src in model.kinds and model.kinds[p.src] == "real":
                    rn = model.nodes[p.src]
                    if not rn.foldable:
                        raise FsddimError(f"real node '{p.src}' is not foldable (kernel {rn.proj.k}, bias {rn.bias is not None})")
                    Wn = rn.proj.weight[:, :, 0, 0]              # (m, c_in)
                    if p.identity:
                        W = (g[:, None] * Wn)[:, :, None, None]
                        k = 1
                    else:
                        W = torch.einsum("omab,mi->oiab", p.weight * g.view(-1, 1, 1, 1), Wn)
                        k = p.k
                    src = rn.proj.src
                    lp.projs.append(_encode(f"{src}->{name}#{count}", src, name, W, k, rn.proj.pre))
                elif p.identity:
                    lp.projs.append(LProj(f"{p.src}->{name}#{count}", p.src, name, "one_to_one", g))
                else:
                    lp.projs.append(_encode(f"{p.src}->{name}#{count}", p.src, name, p.weight * g.view(-1, 1, 1, 1), p.k, p.pre))
                count += 1
        pops.append(lp)
    return pops


def per_channel_weight_max(lp: LPop):
    m = torch.zeros(lp.c, device=lp.bias.device)
    for pr in lp.projs:
        w = pr.weight.detach().abs()
        m = torch.maximum(m, w if pr.encoding == "one_to_one" else w.flatten(1).amax(1))
    return m


# ---- integer formats ------------------------------------------------------------------------------

def weight_exp_for(maxabs):
    """Smallest weight_exp e in -1..7 with maxabs <= 127 * 64 * 2^(e+1) (tensor, no host sync)."""
    r = torch.clamp(maxabs / (127.0 * 64.0), min=1e-30)
    e = torch.ceil(torch.log2(r)) - 1.0
    return torch.clamp(e, -1.0, 7.0)


def quantize_weight(w_int):
    """w_int: target integer weights (float). Returns (j mantissa halves, e, w_eff) with STE on w_eff."""
    e = weight_exp_for(w_int.detach().abs().max())
    step = 64.0 * torch.pow(2.0, e + 1.0)
    j = torch.clamp(torch.round(w_int.detach() / step), -128, 127)
    w_eff = torch.clamp(j * step, -ACCUM_LIMIT, ACCUM_LIMIT)
    return j, e, w_int + (w_eff - w_int).detach()


def quantize_bias(b_int, bias_exp):
    """b_int (..., C) target integers, bias_exp (C,) -> (mantissa, effective) with STE."""
    scale = torch.pow(2.0, bias_exp.to(b_int.dtype))
    mant = torch.clamp(torch.round(b_int.detach() / scale), BIAS_MANT_MIN, BIAS_MANT_MAX)
    return mant, b_int + (mant * scale - b_int).detach()


def round_ste(x):
    return x + (torch.round(x) - x).detach()


# ---- time embedding tables -----------------------------------------------------------------------

def time_spikes_all(model, timesteps, chunk=250):
    """LIF(temb(t)) for t = 0..timesteps-1: (T, K, D)."""
    dev = next(model.parameters()).device
    outs = []
    for a in range(0, timesteps, chunk):
        t = torch.arange(a, min(a + chunk, timesteps), device=dev)
        outs.append(model.time_spikes(t))
    return torch.cat(outs, dim=1)


def bias_real(lp: LPop, ts):
    """Real bias of a population for time spikes ts (T, N, D): (T, N, C), or (C,) without a time input."""
    if lp.temb is None:
        return lp.bias
    return lp.bias.view(1, 1, -1) + lp.temb_gain.view(1, 1, -1) * lp.temb(ts)


# ---- calibration ------------------------------------------------------------------------------------

@torch.no_grad()
def calibrate(model, x0, schedule, cfg, generator):
    """Per-channel scales from the float model on calibration images x0 (N, C, H, W) in [-1, 1].

    Returns a dict of CPU tensors: for each population 'vth_mant/<name>' (C,), 'bias_exp/<name>' (C,),
    and 'readout_frac_bits', 'payload_frac_bits', 'payload_bits'.
    """
    q = cfg["qat"]
    was_training = model.training
    model.eval()
    dev = x0.device
    n = x0.shape[0]
    t = torch.randint(0, schedule.timesteps, (n,), generator=generator).to(dev)
    noise = torch.randn(x0.shape, generator=generator).to(dev)
    a = torch.tensor(schedule.a, dtype=torch.float32, device=dev)[t].view(-1, 1, 1, 1)
    s = torch.tensor(schedule.s, dtype=torch.float32, device=dev)[t].view(-1, 1, 1, 1)
    probe = {}
    model(a * x0 + s * noise, t, probe)
    pops = lower(model)
    ts_all = time_spikes_all(model, schedule.timesteps)
    limit = float(1 << (21 - q["headroom_bits"]))
    scales = {"payload_bits": torch.tensor(q["payload_bits"]), "payload_frac_bits": torch.tensor(q["payload_frac_bits"])}
    for lp in pops:
        cur = probe[lp.name].abs().amax(dim=(0, 2, 3)).cpu().double()
        if lp.kind == "readout":
            amax = float(cur.max().clamp(min=0.25))
            k = int(math.floor(math.log2(limit / amax)))
            k = max(6, min(MAX_READOUT_FRAC, k))
            vth = torch.full((lp.c,), float(1 << k), dtype=torch.float64)
            scales["readout_frac_bits"] = torch.tensor(k)
            scales[f"vth_mant/{lp.name}"] = (vth / 64).long()
        else:
            wmax = per_channel_weight_max(lp).cpu().double().clamp(min=1e-12)
            s_c = torch.minimum(limit / cur.clamp(min=2.0), ACCUM_LIMIT / wmax)
            vth_mant = torch.clamp(torch.floor(s_c / 64.0), 1, VTH_MANT_MAX)
            scales[f"vth_mant/{lp.name}"] = vth_mant.long()
            vth = vth_mant * 64.0
        b = bias_real(lp, ts_all).detach().cpu().double()
        bmax = (b.abs().reshape(-1, lp.c).amax(0) if b.dim() > 1 else b.abs()) * vth
        be = torch.zeros(lp.c, dtype=torch.long)
        for c in range(lp.c):
            e = 0
            while e < 7 and bmax[c] / (1 << e) > BIAS_MANT_MAX:
                e += 1
            be[c] = min(7, e + 1) if bmax[c] > 0 else 0    # one spare bit for QAT drift
        scales[f"bias_exp/{lp.name}"] = be
    model.train(was_training)
    return scales


# ---- the chip-domain (QAT) forward ---------------------------------------------------------------

def conv_chip(val, pr: LProj, w):
    if pr.encoding == "one_to_one":
        return val * w.view(1, -1, 1, 1)
    if pr.upsample > 1:
        val = F.interpolate(val, scale_factor=pr.upsample, mode="nearest")
    return F.conv2d(val, w, stride=pr.stride, padding=pr.pad)


def forward_chip(model, scales, x, t, spike_counts=None):
    """Quantization-aware forward in the chip's integer units (float tensors, STE gradients).

    x: (N, C, H, W) or (T, N, C, H, W) real; t: (N,). Returns readout currents (T, N, C, H, W) in real units.
    spike_counts, a dict: filled as FSDDIMNet.forward fills it, {population: (N, H, W) spikes summed over T and
    channels} (the synaptic-operation regulariser, synops.py; differentiable through the surrogate).
    Matches the fixed-point forward up to the per-synapse floor of graded inputs, wrap-around (which
    calibration keeps away) and float rounding.
    """
    T = model.T
    n = x.shape[-4]
    pf = int(scales["payload_frac_bits"])
    pb = int(scales["payload_bits"])
    lim = float(1 << (pb - 1))
    xr = x if x.dim() == 4 else x.reshape(-1, *x.shape[2:])
    x_q = torch.clamp(torch.round(xr * (1 << pf)), -lim, lim - 1) / (1 << pf)
    vals = {"x": x_q}
    ts = model.time_spikes(t)
    pops = lower(model)
    dev = x.device
    for lp in pops:
        vth = scales[f"vth_mant/{lp.name}"].to(dev).float() * 64.0
        be = scales[f"bias_exp/{lp.name}"].to(dev)
        q = None
        for pr in lp.projs:
            w_int = pr.weight * (vth.view(-1, 1, 1, 1) if pr.encoding == "conv" else vth)
            _, _, w_eff = quantize_weight(w_int)
            y = conv_chip(vals[pr.src], pr, w_eff)
            if y.shape[0] == n and T > 1:
                y = y.unsqueeze(0).expand(T, *y.shape).reshape(T * n, *y.shape[1:])
            q = y if q is None else q + y
        q = round_ste(q).view(T, n, lp.c, lp.res, lp.res)
        b = bias_real(lp, ts)
        _, b_eff = quantize_bias(b * vth, be)
        b_eff = b_eff.view(T, n, lp.c, 1, 1) if b_eff.dim() > 1 else b_eff.view(1, 1, -1, 1, 1)
        cur = q + b_eff
        if lp.kind == "readout":
            return cur / vth.view(1, 1, -1, 1, 1)
        s = chip_lif(cur, vth, model.mcfg["surrogate_width"])
        if spike_counts is not None:
            spike_counts[lp.name] = s.sum((0, 2))
        vals[lp.name] = s.reshape(T * n, lp.c, lp.res, lp.res)
    raise AssertionError("no readout")
