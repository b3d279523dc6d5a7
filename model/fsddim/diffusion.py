"""Cosine schedule, v-prediction losses with the reference weights, and the FSDDIM DDIM sampler.

Conventions (gaussian_diffusion.py of the reference code, eta = 0):
    x_t = a_t x0 + s_t eps,   a_t = sqrt(alpha_bar_t),  s_t = sqrt(1 - alpha_bar_t),   v = a_t eps - s_t x0
    x0_hat = a_t x_t - s_t v,  eps_hat = s_t x_t + a_t v
    x_prev = a_p x0_hat + s_p eps_hat = (a_p a_t + s_p s_t) x_t + (s_p a_t - a_p s_t) v
with (a_p, s_p) = (1, 0) for the last step (t_prev = -1). The sampler applies this element-wise to each
SNN timestep's input current (FSDDIM's sampler); the image is the mean over T at the end.
The fixed-point sampler does the same in integers (see `fixed_coefficients` and fixed.py).
"""
from __future__ import annotations

import math

import numpy as np
import torch


def cosine_alpha_bar(timesteps=1000, s=0.008):
    """alpha_bar_t for t = 0..timesteps-1 (float64), betas clipped to [0, 0.999] as the reference."""
    steps = timesteps + 1
    x = np.linspace(0, timesteps, steps, dtype=np.float64)
    ac = np.cos(((x / timesteps) + s) / (1 + s) * math.pi * 0.5) ** 2
    ac = ac / ac[0]
    betas = np.clip(1.0 - ac[1:] / ac[:-1], 0.0, 0.999)
    return np.cumprod(1.0 - betas)


class Schedule:
    def __init__(self, timesteps=1000, s=0.008):
        self.timesteps = timesteps
        self.alpha_bar = cosine_alpha_bar(timesteps, s)
        self.a = np.sqrt(self.alpha_bar)
        self.s = np.sqrt(1.0 - self.alpha_bar)
        # image-loss weight for pred_v: snr / (snr + 1) = alpha_bar
        self.loss_weight = self.alpha_bar.copy()
        # temporal-consistency weight r(t) = |a_t c1_t| / max |a c1| with a_t = -s_t, c1 the DDIM x0 coefficient
        ab_prev = np.concatenate([[1.0], self.alpha_bar[:-1]])
        c1 = np.sqrt(ab_prev) - self.a * np.sqrt(1.0 - ab_prev) / self.s
        r = np.abs(-self.s * c1)
        self.recons_weight = r / r.max()

    def coeffs(self, t, t_prev):
        """(A, B) with x_prev = A x_t + B v, float64; t_prev = -1 means the final x0."""
        a_t, s_t = self.a[t], self.s[t]
        a_p, s_p = (1.0, 0.0) if t_prev < 0 else (self.a[t_prev], self.s[t_prev])
        return a_p * a_t + s_p * s_t, s_p * a_t - a_p * s_t

    def tables(self, dtype=torch.float32, device="cpu"):
        f = lambda v: torch.tensor(v, dtype=dtype, device=device)
        return f(self.a), f(self.s), f(self.loss_weight), f(self.recons_weight)


def ddim_times(timesteps, steps):
    """Pairs (t, t_prev) of the strided DDIM sampler (lucidrains' ddim_sample spacing)."""
    if not 1 <= steps <= timesteps:
        raise ValueError(f"DDIM steps must be in 1..{timesteps}, got {steps}")
    # t_i = -1 + floor(i * timesteps / steps) in integers (the C++ sampler, model/ddim_sampler.cpp, uses the
    # same formula; float linspace would round differently for some S).
    times = [-1 + (i * timesteps) // steps for i in range(steps + 1)]
    times = list(reversed(times))
    return list(zip(times[:-1], times[1:]))


def losses(out, x0, noise, t, schedule_tables, recons=True):
    """out: (T, N, C, H, W) output currents. Returns (total, image term, recons term), batch means.

    L_img = alpha_bar_t * mean_pix((mean_T out - v)^2);  L_recons = r(t) * mean_{pix,T}((out - mean_T out)^2).
    """
    a, s, w, r = schedule_tables
    a_t, s_t = a[t].view(-1, 1, 1, 1), s[t].view(-1, 1, 1, 1)
    v = a_t * noise - s_t * x0
    pred = out.mean(0)
    l_img = ((pred - v) ** 2).flatten(1).mean(1) * w[t]
    if recons and out.shape[0] > 1:
        l_rec = ((out - pred.unsqueeze(0)) ** 2).mean(0).flatten(1).mean(1) * r[t]
    else:
        l_rec = torch.zeros_like(l_img)
    return (l_img + l_rec).mean(), l_img.mean(), l_rec.mean()


@torch.no_grad()
def sample(model_fn, schedule, shape, T, steps, generator=None, device="cpu", noise=None):
    """FSDDIM sampler: model_fn(x (T, N, C, H, W), t int) -> currents (T, N, C, H, W).

    Returns images in [-1, 1] (N, C, H, W): the mean over T of the final state, clamped.
    """
    if noise is None:
        noise = torch.randn(shape, generator=generator, dtype=torch.float32).to(device)
    x = noise.unsqueeze(0).repeat(T, 1, 1, 1, 1)
    for t, t_prev in ddim_times(schedule.timesteps, steps):
        out = model_fn(x, t)
        A, B = schedule.coeffs(t, t_prev)
        x = A * x + B * out
    return x.mean(0).clamp(-1.0, 1.0)


# ---- Fixed point ------------------------------------------------------------------------------------

TABLE_FRAC_BITS = 30


def fixed_tables(schedule):
    """sqrt(alpha_bar_t) and sqrt(1 - alpha_bar_t) in Q1.30 (int64), t = 0..timesteps-1."""
    one = 1 << TABLE_FRAC_BITS
    a = np.floor(schedule.a * one + 0.5).astype(np.int64)
    s = np.floor(schedule.s * one + 0.5).astype(np.int64)
    return a, s


def round_shift(x, n):
    """round(x / 2^n), ties up, for Python or numpy integers (floor((x + 2^(n-1)) / 2^n))."""
    return (x + (1 << (n - 1))) >> n


def fixed_coefficients(a_q30, s_q30, t, t_prev, coeff_frac_bits):
    """(A, B) of x_prev = A x + B v in Q.coeff_frac_bits, from the Q1.30 tables, integers only.

    A = round((a_p a_t + s_p s_t) / 2^(60 - F)), B = round((s_p a_t - a_p s_t) / 2^(60 - F)).
    """
    one = 1 << TABLE_FRAC_BITS
    a_t, s_t = int(a_q30[t]), int(s_q30[t])
    a_p, s_p = (one, 0) if t_prev < 0 else (int(a_q30[t_prev]), int(s_q30[t_prev]))
    sh = 2 * TABLE_FRAC_BITS - coeff_frac_bits
    return round_shift(a_p * a_t + s_p * s_t, sh), round_shift(s_p * a_t - a_p * s_t, sh)


def fixed_update(x_pay, out_int, A, B, coeff_frac_bits, payload_frac_bits, readout_frac_bits, payload_bits):
    """One fixed-point DDIM step on int64 tensors: x_pay (payloads, Q.payload_frac), out_int (readout
    currents, Q.readout_frac). Returns the next payloads, rounded and saturated to payload_bits.

    x_next = round((A x 2^R + B o 2^P) / 2^(F + R)), F = coeff_frac_bits, P = payload_frac, R = readout_frac.
    """
    num = A * x_pay * (1 << readout_frac_bits) + B * out_int * (1 << payload_frac_bits)
    sh = coeff_frac_bits + readout_frac_bits
    x = torch.div(num + (1 << (sh - 1)), 1 << sh, rounding_mode="floor")
    lo, hi = -(1 << (payload_bits - 1)), (1 << (payload_bits - 1)) - 1
    return x.clamp(lo, hi)
