"""LIF neuron of FSDDIM (float) and of the chip (integer domain), with the triangle surrogate gradient.

Float LIF, per timestep tau = 0..T-1 (published code, snn_layers.LIFSpike):
    u[tau] = decay * u[tau-1] * (1 - s[tau-1]) + I[tau];   s[tau] = (u[tau] > vth)   (strict, hard reset)
Reset is detached (detach_reset: true). Surrogate: ds/du = max(0, 1 - |u - vth| / aa) / (2 aa).

Chip LIF (model/neuron.cpp, du = 4095, dv = 819), in integer units where threshold 1.0 is vth_int:
    v = trunc0(v * (4096 - 819) / 4096) + I_int;   s = v > vth_int;   v = 0 after a spike.
The chip-domain function is used by quantization-aware training: its forward is the integer arithmetic
(carried in float tensors), its backward is the float LIF's surrogate on v / vth_int.
"""
from __future__ import annotations

import torch

CHIP_DV = 819                     # round(4096 * (1 - 0.8)): the voltage decay register for tau = 0.8
CHIP_DECAY = (4096 - CHIP_DV) / 4096.0


def triangle(u, vth, width):
    """The surrogate derivative ds/du at membrane u."""
    return torch.clamp(1.0 - (u - vth).abs() / width, min=0.0) / (2.0 * width)


class _LIF(torch.autograd.Function):
    """Whole-sequence LIF: input I (T, ...) -> spikes (T, ...). Hand-written BPTT, reset detached.

    Written for CPU memory bandwidth (each elementwise op over a (T * N, C, H, W) tensor is one pass over
    memory): the outputs are allocated once and written in place (no stacking), the forward keeps what the
    backward needs in its final form, the surrogate ds/du (T, ...) and the membrane carry
    keep = decay * (1 - s) (T, ...), and the backward is one product over the whole sequence plus one
    fused multiply-add per timestep:
        g[t] = grad_s[t] * ds/du[t] + g[t+1] * keep[t].
    The forward's spikes are bit-identical to `lif_reference` (decay * u * keep01 rounds exactly like
    keep * u, keep01 in {0, 1}); the gradient equals the step-by-step formula to float rounding.
    """

    @staticmethod
    def forward(ctx, current, decay, vth, width):
        T = current.shape[0]
        spikes = torch.empty_like(current)
        keep = torch.empty_like(current)
        membrane = torch.empty_like(current)
        u = current[0]
        for t in range(T):
            if t:
                u = torch.addcmul(current[t], membrane[t - 1], keep[t - 1], out=membrane[t])
            else:
                membrane[0].copy_(u)
            torch.gt(membrane[t], vth, out=spikes[t])
            # keep = decay * (1 - s): decay where no spike, 0 after a spike (hard reset, detached)
            torch.mul(spikes[t], -decay, out=keep[t]).add_(decay)
        ctx.save_for_backward(_surrogate_(membrane, vth, width), keep)
        return spikes

    @staticmethod
    def backward(ctx, grad_s):
        surrogate, keep = ctx.saved_tensors
        grads = grad_s * surrogate
        for t in range(grads.shape[0] - 2, -1, -1):
            grads[t].addcmul_(grads[t + 1], keep[t])
        return grads, None, None, None


def _surrogate_(u, vth, width):
    """triangle(u, vth, width) computed in place in u (4 passes over memory instead of 6)."""
    return u.sub_(vth).abs_().mul_(-1.0 / (2.0 * width * width)).add_(1.0 / (2.0 * width)).clamp_(min=0.0)


def lif(current, decay=0.8, vth=1.0, width=0.5):
    """Spikes (T, ...) of the float LIF for input currents (T, ...)."""
    return _LIF.apply(current, decay, vth, width)


def lif_reference(current, decay=0.8, vth=1.0):
    """Plain loop without autograd tricks (for tests): returns (spikes, membrane before reset)."""
    u = torch.zeros_like(current[0])
    s = torch.zeros_like(current[0])
    ss, us = [], []
    for t in range(current.shape[0]):
        u = decay * u * (1.0 - s) + current[t]
        s = (u > vth).to(current.dtype)
        ss.append(s)
        us.append(u)
    return torch.stack(ss), torch.stack(us)


class _ChipLIF(torch.autograd.Function):
    """Integer-domain LIF: I_int (T, N, C, ...) in chip units, vth_int (C,) per channel (threshold 1.0).

    Forward: exactly the chip's v update (values are integers held in float32/64, exact below 2^24).
    Backward: the float LIF's BPTT with u = v / vth_int and decay (4096 - dv) / 4096.
    """

    @staticmethod
    def forward(ctx, current, vth_int, width):
        shape = [1, -1] + [1] * (current.dim() - 3)
        vt = vth_int.view(shape).to(current.dtype)
        v = torch.zeros_like(current[0])
        vs, ss = [], []
        for t in range(current.shape[0]):
            v = torch.trunc(v * (4096 - CHIP_DV) / 4096.0) + current[t]
            # trunc of an exact product: v * 3277 is exact below 2^53 in float64 and below 2^24 / 3277
            # in float32; the QAT path only needs it approximately, the fixed-point forward uses integers.
            s = (v > vt).to(current.dtype)
            vs.append(v)
            ss.append(s)
            v = v * (1.0 - s)
        spikes = torch.stack(ss)
        ctx.save_for_backward(torch.stack(vs), spikes, vt)
        ctx.width = width
        return spikes

    @staticmethod
    def backward(ctx, grad_s):
        vs, ss, vt = ctx.saved_tensors
        T = vs.shape[0]
        grads = [None] * T
        g_next = torch.zeros_like(vs[0])
        for t in range(T - 1, -1, -1):
            # ds/dv_int = triangle(v_int / vth_int) / vth_int
            g = grad_s[t] * triangle(vs[t] / vt, 1.0, ctx.width) / vt
            if t + 1 < T:
                g = g + g_next * CHIP_DECAY * (1.0 - ss[t])
            grads[t] = g
            g_next = g
        return torch.stack(grads), None, None


def chip_lif(current_int, vth_int, width=0.5):
    return _ChipLIF.apply(current_int, vth_int, width)
