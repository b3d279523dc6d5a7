"""Bit-exact fixed-point forward of a spikemesh network file (same-timestep semantics) and the
fixed-point FSDDIM sampler.

`FixedNet` runs an exported (unbalanced: all delays 0) network the way the trained model computes it:
within one SNN timestep every population sees its sources' spikes of the same timestep. Its arithmetic
is model/neuron.cpp's, in int64 tensors: the dendritic sum q wraps to 22 bits, u and u2 to 24 bits, v is
clamped, spikes are v > vth_mant << 6 (strict), hard reset, refractory counter; effective weights follow
`effective_weight`; a graded input adds floor(w_eff * payload / 2^payload_frac_bits) per synapse. After
`spikemesh balance`, the C++ reference simulator computes the same values D timesteps later: population p
at timestep depth(p) + tau equals this forward at tau (tests/python/test_export_fixed.py and
test_chip_loop.py check it against the C++ reference, on exports and on a handmade network).

Sums of integers run in floating point only where they are exact: convolutions of spikes in float32 when
every partial sum stays below 2^24, other spike projections in float64 (below 2^53); graded (payload)
convolutions in int32 or int64, one kernel tap at a time. The neuron state is int64.
"""
from __future__ import annotations

from collections import deque

import numpy as np
import torch
import torch.nn.functional as F

from . import diffusion
from .errors import FsddimError
from .netfile import Network

ACCUM_BITS, STATE_BITS = 22, 24


def wrap(x, bits):
    """x modulo 2^bits into [-2^(bits-1), 2^(bits-1)) (two's complement), in place on x."""
    half = 1 << (bits - 1)
    return x.add_(half).bitwise_and_((1 << bits) - 1).sub_(half)


def decay_toward_zero(x, decay, offset):
    """x * (4096 - offset - decay) / 4096, truncated toward zero (the factor is never negative): a negative
    product gets 4095 added before the arithmetic shift, which floors."""
    y = x * ((1 << 12) - offset - decay)
    return y.add_((y < 0).long().mul_((1 << 12) - 1)).bitwise_right_shift_(12)


def effective_weight(m, weight_exp, num_weight_bits, sign_mode):
    """numpy int64 version of spikemesh::effective_weight."""
    m = np.asarray(m, dtype=np.int64)
    is_mixed = 1 if sign_mode == "mixed" else 0
    prec = 1 << (8 - num_weight_bits + is_mixed)
    mt = np.sign(m) * (np.abs(m) // prec) * prec          # trunc toward zero
    scaled = mt * (1 << weight_exp) if weight_exp >= 0 else np.floor_divide(mt, 1 << (-weight_exp))
    limit = (1 << 21) - 64
    return np.clip(scaled * 64, -limit, limit)


def _per_neuron(p, key, n):
    v = np.asarray(p.param(key), dtype=np.int64)
    return np.full(n, int(v)) if v.ndim == 0 or v.size == 1 else v.reshape(n)


class FixedNet:
    def __init__(self, net: Network, device="cpu"):
        self.net = net
        self.device = torch.device(device)
        names = [p.name for p in net.populations]
        self.index = {n: i for i, n in enumerate(names)}
        for pr in net.projections:
            for end in (pr.source, pr.target):
                if end not in self.index:
                    raise FsddimError(f"projection '{pr.name}': unknown population '{end}'")
            if np.any(np.asarray(pr.delays) != 0):
                raise FsddimError(f"projection '{pr.name}' has delays: the same-timestep forward runs the trained "
                                  "(unbalanced) network file, before `spikemesh balance`")
        for p in net.populations:
            if p.bias_start:
                raise FsddimError(f"population '{p.name}' has bias_start {p.bias_start}: expected an unbalanced file")
        self.order = self._topo_order()
        dev = self.device
        self.incoming = {p.name: [] for p in net.populations}
        self.fast = {}   # projection name -> float32 weights / 64 when float32 sums are provably exact
        for pr in net.projections:
            w = effective_weight(pr.weights, pr.weight_exp, pr.num_weight_bits, pr.sign_mode)
            self.incoming[pr.target].append((pr, torch.tensor(w, dtype=torch.float64, device=dev)))
            src = next(p for p in net.populations if p.name == pr.source)
            if pr.encoding == "conv" and src.kind != "input" and pr.groups == 1 and self.device.type == "cpu":
                # (CPU only: CUDA may run float32 convolutions in TF32, which is not exact)
                # Binary spikes times integer weights (multiples of 64): in units of 64 every partial sum of
                # a float32 convolution is an integer bounded by the output channel's sum of |w| / 64;
                # below 2^24 float32 holds each one exactly, whatever the summation order.
                w64 = np.abs(w.reshape(w.shape[0], -1)) // 64
                if int(w64.sum(1).max()) < (1 << 24) and np.all(w % 64 == 0):
                    self.fast[id(pr)] = torch.tensor(w // 64, dtype=torch.float32, device=dev)
        self.params = {}
        for p in net.populations:
            n = p.size
            prm = {k: torch.tensor(_per_neuron(p, k, n), device=dev) for k in
                   ("du", "dv", "vth_mant", "bias_mant", "bias_exp", "refract_delay", "vmin_exp", "vmax_exp")}
            prm["vmin"] = -(torch.ones_like(prm["vmin_exp"]) << prm["vmin_exp"]) + 1
            prm["vmax"] = (torch.ones_like(prm["vmax_exp"]) << (9 + 2 * prm["vmax_exp"])) - 1
            prm["vth"] = prm["vth_mant"] << 6
            prm["refractory"] = bool((prm["refract_delay"] > 0).any())
            prm["bias"] = prm["bias_mant"] * (torch.ones_like(prm["bias_exp"]) << prm["bias_exp"])
            if p.bias_table is not None:
                bt = torch.tensor(p.bias_table, dtype=torch.int64, device=dev)
                K, P, M = bt.shape
                if M != n and (len(p.shape) != 3 or M != p.shape[0]):
                    raise FsddimError(f"population '{p.name}': bias_table has {M} columns, expected {n} or {p.shape[0]}")
                exp = prm["bias_exp"].view(M, n // M)
                if M != n and not bool((exp == exp[:, :1]).all()):   # rare: expand to every neuron
                    bt, exp, M = bt.repeat_interleave(n // M, dim=2), prm["bias_exp"].view(n, 1), n
                # one column per channel where the file has that, expanded to the channel's neurons at lookup
                # (K contexts x P phases x every neuron would hold gigabytes for a `small` export)
                prm["table"] = bt * (torch.ones_like(exp[:, 0]) << exp[:, 0]).view(1, 1, -1)
                prm["table_repeat"] = n // M
            self.params[p.name] = prm

    def _topo_order(self):
        net = self.net
        indeg = {p.name: 0 for p in net.populations}
        out = {p.name: [] for p in net.populations}
        for pr in net.projections:
            if pr.source == pr.target:
                raise FsddimError(f"projection '{pr.name}' is recurrent: the same-timestep forward needs a feed-forward network")
            indeg[pr.target] += 1
            out[pr.source].append(pr.target)
        ready = deque(p.name for p in net.populations if indeg[p.name] == 0)
        order = []
        while ready:
            u = ready.popleft()
            order.append(u)
            for v in out[u]:
                indeg[v] -= 1
                if indeg[v] == 0:
                    ready.append(v)
        if len(order) != len(net.populations):
            raise FsddimError("the network has a cycle: the same-timestep forward needs a feed-forward network")
        return order

    def _contribution(self, pr, w, src_pop, val, graded, b):
        """Synaptic input of projection pr for source values val (B, N_src): spikes or payloads."""
        tgt = self.net.populations[self.index[pr.target]]
        f = src_pop.payload_frac_bits if graded else 0
        scale = float(1 << f)
        if pr.encoding == "one_to_one":
            wv = w if w.numel() > 1 else w.expand(val.shape[1])
            return torch.floor(val * wv / scale)
        if pr.encoding == "dense":
            if graded:
                return torch.floor(val.unsqueeze(1) * w.unsqueeze(0) / scale).sum(2)
            return val @ w.t()
        if pr.encoding == "sparse":
            pre = torch.as_tensor(pr.pre, device=val.device)
            post = torch.as_tensor(pr.post, device=val.device)
            c = torch.floor(val[:, pre] * w / scale)
            return torch.zeros(b, tgt.size, dtype=val.dtype, device=val.device).index_add_(1, post, c)
        # conv
        C, H, W = src_pop.shape
        wf = None if graded else self.fast.get(id(pr))
        x = val.view(b, C, H, W) if wf is None else val.view(b, C, H, W).float()
        if pr.upsample > 1:
            x = F.interpolate(x, scale_factor=pr.upsample, mode="nearest")
        if not graded:
            if wf is not None:
                y = F.conv2d(x, wf, stride=pr.stride, padding=pr.padding, dilation=pr.dilation)
                return y.double().reshape(b, -1) * 64.0
            y = F.conv2d(x, w, stride=pr.stride, padding=pr.padding, dilation=pr.dilation, groups=pr.groups)
            return y.reshape(b, -1)
        if pr.groups != 1:
            raise FsddimError(f"projection '{pr.name}': grouped convolutions from graded inputs are not supported here")
        kh, kw = w.shape[2], w.shape[3]
        co = w.shape[0]
        cols = F.unfold(x, (kh, kw), dilation=pr.dilation, padding=pr.padding, stride=pr.stride)        # (B, Cin*kh*kw, L)
        wf = w.reshape(co, -1)
        if f >= 6 and val.device.type == "cpu":
            # Effective weights are multiples of 64 below 2^21, so floor(w * p / 2^f) = (w/64 * p) >> (f - 6);
            # for payloads of up to 16 bits the product fits int32. One kernel tap at a time.
            it = torch.int32 if src_pop.payload_bits <= 16 else torch.int64
            cols = cols.to(it)
            wq = torch.div(wf, 64, rounding_mode="floor").to(it)
            out = torch.zeros(b, co, cols.shape[2], dtype=torch.int64, device=val.device)
            for k in range(cols.shape[1]):
                out.add_((wq[:, k].view(1, co, 1) * cols[:, k].unsqueeze(1)).bitwise_right_shift_(f - 6))
            return out.reshape(b, -1).double()
        out = torch.empty(b, co, cols.shape[2], dtype=val.dtype, device=val.device)
        chunk = max(1, int(2 ** 23 // max(1, co * cols.shape[1] * cols.shape[2])))
        for a in range(0, b, chunk):
            c = cols[a:a + chunk]
            out[a:a + chunk] = torch.floor(wf.view(1, co, -1, 1) * c.unsqueeze(1) / scale).sum(2)
        return out.reshape(b, -1)

    @torch.no_grad()
    def run(self, payloads, contexts, timesteps, record_spikes=False):
        """payloads: {input population: int tensor (timesteps, B, N)}; contexts: int (B,) bias-table context
        per sample. Returns {'currents': {readout: (T, B, N) int64}, 'spikes': {pop: (T, B, N) uint8}}."""
        dev = self.device
        pops = {p.name: p for p in self.net.populations}
        b = int(contexts.shape[0])
        ctx = torch.as_tensor(contexts, device=dev).long()
        state = {}
        for name in self.order:
            n = pops[name].size
            # no refractory counter where every refract_delay is 0: it would stay 0
            r = torch.zeros(b, n, dtype=torch.int64, device=dev) if self.params[name]["refractory"] else None
            state[name] = (torch.zeros(b, n, dtype=torch.int64, device=dev), torch.zeros(b, n, dtype=torch.int64, device=dev), r)
        currents = {p.name: [] for p in self.net.populations if p.kind == "readout"}
        spikes = {p.name: [] for p in self.net.populations} if record_spikes else None
        for tau in range(timesteps):
            vals = {}
            for name in self.order:
                p = pops[name]
                prm = self.params[name]
                if p.kind == "input":
                    if name in payloads and tau < payloads[name].shape[0]:
                        pay = payloads[name][tau].to(dev).long()
                    else:
                        pay = torch.zeros(b, p.size, dtype=torch.int64, device=dev)
                    lo = 0 if p.payload_bits == 1 else -(1 << (p.payload_bits - 1))
                    hi = 1 if p.payload_bits == 1 else (1 << (p.payload_bits - 1)) - 1
                    if pay.numel() and (int(pay.min()) < lo or int(pay.max()) > hi):
                        raise FsddimError(f"input '{name}': payload out of range [{lo}, {hi}] at timestep {tau}")
                    vals[name] = pay.double()
                    if record_spikes:
                        spikes[name].append((pay != 0).to(torch.uint8))
                    continue
                q = None
                for pr, w in self.incoming[name]:
                    src = pops[pr.source]
                    c = self._contribution(pr, w, src, vals[pr.source], src.kind == "input", b)
                    q = c if q is None else q.add_(c)
                q = (q.round_().long() if q is not None else torch.zeros(b, p.size, dtype=torch.int64, device=dev))
                u, v, r = state[name]
                if "table" in prm:
                    K, P, _ = prm["table"].shape
                    bias = prm["table"][ctx.clamp(max=K - 1), min(tau, P - 1)]
                    if prm["table_repeat"] > 1:
                        bias = bias.repeat_interleave(prm["table_repeat"], dim=1)
                else:
                    bias = prm["bias"].unsqueeze(0)
                u = wrap(decay_toward_zero(u, prm["du"], 1).add_(wrap(q, ACCUM_BITS)), STATE_BITS)
                u2 = wrap(u + bias, STATE_BITS)
                v = decay_toward_zero(v, prm["dv"], 0).add_(u2)
                v = torch.clamp(v, min=prm["vmin"], max=prm["vmax"])
                if r is not None:
                    v.masked_fill_(r > 0, 0)
                if p.kind == "cuba":
                    s = v > prm["vth"]
                    v.masked_fill_(s, 0)
                else:
                    s = torch.zeros_like(v, dtype=torch.bool)
                if r is not None:   # a spike starts the refractory count; then it counts down to 0
                    r = torch.where(s, prm["refract_delay"].expand_as(r), r)
                    r = r.sub_((r > 0).long())
                state[name] = (u, v, r)
                vals[name] = s.double()
                if p.kind == "readout":
                    currents[name].append(u2)
                if record_spikes:
                    spikes[name].append(s.to(torch.uint8))
        res = {"currents": {k: torch.stack(v) for k, v in currents.items()}}
        if record_spikes:
            res["spikes"] = {k: torch.stack(v) for k, v in spikes.items()}
        return res


def sampler_meta(net: Network):
    """The fixed-point sampler parameters stored in /metadata by the exporter."""
    a = net.attributes
    need = ["input_population", "readout_population", "snn_timesteps", "readout_frac_bits", "ddim_coeff_frac_bits",
            "diffusion_timesteps"]
    for k in need:
        if k not in a:
            raise FsddimError(f"network file: /metadata attribute '{k}' missing: not an FSDDIM export")
    for k in ("ddim_sqrt_alpha_bar_q30", "ddim_sqrt_one_minus_alpha_bar_q30"):
        if k not in net.arrays:
            raise FsddimError(f"network file: /metadata/{k} missing: not an FSDDIM export")
    inp = net.population(a["input_population"])
    return dict(input=a["input_population"], readout=a["readout_population"], T=int(a["snn_timesteps"]),
                readout_frac=int(a["readout_frac_bits"]), coeff_frac=int(a["ddim_coeff_frac_bits"]),
                timesteps=int(a["diffusion_timesteps"]), payload_bits=inp.payload_bits, payload_frac=inp.payload_frac_bits,
                shape=inp.shape, a_q30=np.asarray(net.arrays["ddim_sqrt_alpha_bar_q30"], dtype=np.int64),
                s_q30=np.asarray(net.arrays["ddim_sqrt_one_minus_alpha_bar_q30"], dtype=np.int64),
                context_times=([int(t) for t in net.arrays["ddim_context_times"]] if "ddim_context_times" in net.arrays else None))


def context_of(m, t, steps):
    """The bias-table context of diffusion step t (sampler_meta m)."""
    if m["context_times"] is None:
        return t
    if t not in m["context_times"]:
        raise FsddimError(f"DDIM steps S = {steps} need the time embedding of diffusion step {t}, but the network was exported "
                          f"for steps {m['context_times']} only (/metadata/ddim_context_times)")
    return m["context_times"].index(t)


@torch.no_grad()
def sample_fixed(fnet: FixedNet, steps, n, generator=None, noise=None, T=None, progress=None):
    """The fixed-point FSDDIM sampler on an exported network: integer state (input payloads), integer
    coefficients from the exported Q1.30 tables. Returns images in [-1, 1] (N, C, H, W) (float) and the
    final integer payloads (T, N, size)."""
    m = sampler_meta(fnet.net)
    T = T or m["T"]
    dev = fnet.device
    size = int(np.prod(m["shape"]))
    pf, pb = m["payload_frac"], m["payload_bits"]
    lo, hi = -(1 << (pb - 1)), (1 << (pb - 1)) - 1
    if noise is None:
        noise = torch.randn((n, size), generator=generator, dtype=torch.float32)
    x = torch.clamp(torch.round(noise.double().view(n, size) * (1 << pf)), lo, hi).long().to(dev)
    x = x.unsqueeze(0).repeat(T, 1, 1)
    pairs = diffusion.ddim_times(m["timesteps"], steps)
    for i, (t, t_prev) in enumerate(pairs):
        out = fnet.run({m["input"]: x}, torch.full((n,), context_of(m, t, steps), dtype=torch.long), T)["currents"][m["readout"]]
        A, B = diffusion.fixed_coefficients(m["a_q30"], m["s_q30"], t, t_prev, m["coeff_frac"])
        x = diffusion.fixed_update(x, out, A, B, m["coeff_frac"], pf, m["readout_frac"], pb)
        if progress:
            progress(i + 1, len(pairs))
    img = (x.double().mean(0) / (1 << pf)).clamp(-1, 1).float()
    return img.view(n, *m["shape"]).cpu(), x
