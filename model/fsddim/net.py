"""The spiking U-Net of FSDDIM (SpikingUNetV2, docs/sources.md#fsddim) as a graph of populations, and its ANN twin.

The network is a list of nodes in topological order:
  - the input `x` (x_t, real; on the chip a graded input population),
  - real nodes: linear maps with no neuron (`conv_in`, `down`, `up`) of the published code,
  - populations: LIF neurons whose input current is a sum of branches; a branch is a sum of projections
    (convolutions of one source each), plus the time embedding for a block's first conv, then tdBN.
    A concatenation is several projections into one population; a residual sum is several branches.
  - the readout `out`: the SCL output layer, a 1x1 conv over the V2 concatenation with no neuron; its
    per-timestep current is the v-prediction.

Real-valued paths (`model.real_paths`):
  - fold (chip-native, default): every real node is a bias-free map that composes exactly with its
    consumers into one chip projection: conv_in is replaced by direct projections from the graded input
    (a consumer's k x k kernel becomes (k+2) x (k+2) on x, the receptive field the published 3x3 conv_in
    gave it); down = 2x2 average pool + 1x1 conv, which folds into a stride-2 conv of twice the kernel;
    up = nearest x2 + 1x1 conv, which folds into a conv with upsample = 2. Exact at the borders too.
  - published: the published 3x3 conv_in and 3x3 up-conv with biases (float only, not exportable: a 3x3
    conv of a zero-padded 3x3 conv is not one convolution at the image border).
`activate_first_conv` and `spike_up_down` turn those real nodes into spiking populations (tdBN + LIF).

Tensors inside: (T * N, C, H, W) with T outermost; values constant over T (the input, projections of it)
are kept as (N, C, H, W) and broadcast.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .lif import lif


@dataclass(frozen=True)
class Src:
    name: str          # node name ("x" for the input)
    channels: int
    res: int
    kind: str          # "input", "pop", "real", "direct" (folded conv_in: consumers read x directly)


class Proj(nn.Module):
    """A projection: optional pre-op of the source map (pool2: 2x2 average; up2: nearest x2), then a
    k x k conv (padding k // 2, no bias). `identity` projections carry no weight (shortcut BN(x))."""

    def __init__(self, src: str, c_in: int, c_out: int, k: int, pre: str | None = None, identity=False):
        super().__init__()
        self.src, self.c_in, self.c_out, self.k, self.pre, self.identity = src, c_in, c_out, k, pre, identity
        if identity:
            assert c_in == c_out and k == 1 and pre is None
            self.weight = None
        else:
            self.weight = nn.Parameter(torch.empty(c_out, c_in, k, k))
            nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def forward(self, val):
        if self.pre == "pool2":
            val = F.avg_pool2d(val, 2)
        elif self.pre == "up2":
            val = F.interpolate(val, scale_factor=2, mode="nearest")
        if self.identity:
            return val
        return F.conv2d(val, self.weight, padding=self.k // 2)


class RealNode(nn.Module):
    """A real-valued linear node: pre-op, k x k conv, optional bias. No BN, no neuron."""

    def __init__(self, name, src: Src, c_out, k, pre, bias):
        super().__init__()
        self.name, self.src, self.c_out = name, src, c_out
        self.proj = Proj(src.name, src.channels, c_out, k, pre)
        self.bias = nn.Parameter(torch.zeros(c_out)) if bias else None

    @property
    def foldable(self):
        return self.proj.k == 1 and self.bias is None

    def forward(self, val):
        y = self.proj(val)
        return y if self.bias is None else y + self.bias.view(1, -1, 1, 1)


class Branch(nn.Module):
    """Sum of projections (+ time embedding) -> tdBN (or, for the readout, + bias)."""

    def __init__(self, projs, c_out, bn_gamma=1.0, temb_dim=0, readout=False):
        super().__init__()
        self.projs = nn.ModuleList(projs)
        self.c_out = c_out
        self.temb = nn.Linear(temb_dim, c_out) if temb_dim else None
        if readout:
            self.bn = None
            self.bias = nn.Parameter(torch.zeros(c_out))
        else:
            self.bn = nn.BatchNorm2d(c_out)
            nn.init.constant_(self.bn.weight, bn_gamma)   # tdBN's alpha * Vth at initialisation
            self.bias = None


class Pop(nn.Module):
    """A population: LIF (or ReLU in the ANN twin) of the sum of its branches; or the readout."""

    def __init__(self, name, c, res, branches, readout=False):
        super().__init__()
        self.name, self.c, self.res, self.readout = name, c, res, readout
        self.branches = nn.ModuleList(branches)


def sinusoidal(t, dim):
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float64, device=t.device) * -(math.log(10000.0) / (half - 1)))
    args = t.to(torch.float64)[:, None] * freqs[None, :]
    return torch.cat([args.sin(), args.cos()], dim=1).float()


class FSDDIMNet(nn.Module):
    def __init__(self, model_cfg):
        super().__init__()
        m = self.mcfg = dict(model_cfg)
        self.T = m["snn_timesteps"] if m["neuron"] == "lif" else 1
        self.spiking = m["neuron"] == "lif"
        self.nodes = nn.ModuleDict()   # name -> RealNode or Pop (names with '.' replaced)
        self.order = []                # node names in topological order
        self.kinds = {}                # name -> "real" | "pop"
        # Activation layout of the forward (not a model parameter, not saved): torch.channels_last makes the
        # CPU's oneDNN convolutions run without reordering (train.channels_last); the weights stay as they are.
        self.memory_format = torch.contiguous_format
        td = m["time_embed_dim"]
        self.temb1 = nn.Linear(m["sinusoidal_dim"], td)
        self.temb2 = nn.Linear(td, td)
        self._build()

    # ---- graph construction ----------------------------------------------------------------------
    def _add(self, node, kind):
        self.nodes[node.name] = node
        self.order.append(node.name)
        self.kinds[node.name] = kind

    def _proj(self, src: Src, c_out, k):
        """A k x k projection of a source; a folded conv_in becomes a (k+2) x (k+2) conv of x."""
        if src.kind == "direct":
            return Proj("x", self.mcfg["in_channels"], c_out, k + 2)
        return Proj(src.name, src.channels, c_out, k)

    def _identity(self, src: Src):
        if src.kind == "direct":
            return Proj("x", self.mcfg["in_channels"], src.channels, 3)
        return Proj(src.name, src.channels, src.channels, 1, identity=True)

    def _conv_pop(self, name, srcs, c_out, k=3, temb=False, gamma=1.0):
        res = srcs[0].res
        br = Branch([self._proj(s, c_out, k) for s in srcs], c_out, gamma, self.mcfg["time_embed_dim"] if temb else 0)
        self._add(Pop(name, c_out, res, [br]), "pop")
        return Src(name, c_out, res, "pop")

    def _resblock(self, name, srcs, c_out):
        res = srcs[0].res
        h = self._conv_pop(name + "_h", srcs, c_out, 3, temb=True)
        main = Branch([Proj(h.name, c_out, c_out, 3)], c_out, 1.0 / math.sqrt(2.0))
        if len(srcs) == 1 and srcs[0].channels == c_out:
            short = Branch([self._identity(srcs[0])], c_out, 1.0 / math.sqrt(2.0))
        else:
            short = Branch([self._proj(s, c_out, 1) for s in srcs], c_out, 1.0 / math.sqrt(2.0))
        self._add(Pop(name, c_out, res, [main, short]), "pop")
        return Src(name, c_out, res, "pop")

    def _down(self, name, src: Src, c_out):
        m = self.mcfg
        if m["spike_up_down"]:
            br = Branch([Proj(src.name, src.channels, c_out, 1, pre="pool2")], c_out)
            self._add(Pop(name, c_out, src.res // 2, [br]), "pop")
            return Src(name, c_out, src.res // 2, "pop")
        node = RealNode(name, src, c_out, 1, "pool2", bias=m["real_paths"] == "published")
        self._add(node, "real")
        return Src(name, c_out, src.res // 2, "real")

    def _up(self, name, src: Src, c_out):
        m = self.mcfg
        if m["spike_up_down"]:
            br = Branch([Proj(src.name, src.channels, c_out, 3, pre="up2")], c_out)
            self._add(Pop(name, c_out, src.res * 2, [br]), "pop")
            return Src(name, c_out, src.res * 2, "pop")
        published = m["real_paths"] == "published"
        node = RealNode(name, src, c_out, 3 if published else 1, "up2", bias=published)
        self._add(node, "real")
        return Src(name, c_out, src.res * 2, "real")

    def _build(self):
        m = self.mcfg
        ch, nb, res = m["base_channels"], m["num_res_blocks"], m["image_size"]
        dims = [ch] + [ch * k for k in m["channel_mult"]]
        in_out = list(zip(dims[:-1], dims[1:]))
        x = Src("x", m["in_channels"], res, "input")
        if m["activate_first_conv"]:
            r = self._conv_pop("conv_in", [x], ch, 3)
        elif m["real_paths"] == "published":
            self._add(RealNode("conv_in", x, ch, 3, None, bias=True), "real")
            r = Src("conv_in", ch, res, "real")
        else:
            r = Src("conv_in", ch, res, "direct")
        hs, cur = [], r
        self.head_srcs = []
        for i, (din, dout) in enumerate(in_out):
            for b in range(nb):
                cur = self._resblock(f"d{i}b{b}", [cur], din)
                hs.append(cur)
                if i == 0:
                    self.head_srcs.append(cur)
            if i < len(in_out) - 1:
                cur = self._down(f"d{i}down", cur, dout)
            else:
                cur = self._conv_pop(f"d{i}conv", [cur], dout, 3)
        cur = self._resblock("m0", [cur], dims[-1])
        cur = self._resblock("m1", [cur], dims[-1])
        for i, (din, dout) in reversed(list(enumerate(in_out))):
            for b in range(nb):
                cur = self._resblock(f"u{i}b{b}", [cur, hs.pop()], dout)
                if i == 0:
                    self.head_srcs.append(cur)
            if i > 0:
                cur = self._up(f"u{i}up", cur, din)
            else:
                cur = self._conv_pop("u0conv", [cur], din, 3)
        final = self._resblock("final", [cur, r], ch)
        head = [final, r] + self.head_srcs
        br = Branch([self._proj(s, m["in_channels"], 1) for s in head], m["in_channels"], readout=True)
        self._add(Pop("out", m["in_channels"], res, [br], readout=True), "pop")

    # ---- float forward -----------------------------------------------------------------------------
    def time_spikes(self, t):
        """The block-shared time input: LIF(temb(t)) (T, N, D) for the SNN, ReLU(temb) (1, N, D) for the ANN."""
        e = self.temb1(sinusoidal(t, self.mcfg["sinusoidal_dim"]).to(self.temb1.weight.dtype))
        if self.spiking:
            s1 = lif(e.unsqueeze(0).expand(self.T, -1, -1).contiguous(), self.mcfg["tau"], self.mcfg["vth"], self.mcfg["surrogate_width"])
            return lif(self.temb2(s1), self.mcfg["tau"], self.mcfg["vth"], self.mcfg["surrogate_width"])
        return F.relu(self.temb2(F.relu(e))).unsqueeze(0)

    def _neuron(self, cur, n):
        if not self.spiking:
            return F.relu(cur)
        T = self.T
        s = lif(cur.view(T, n, *cur.shape[1:]), self.mcfg["tau"], self.mcfg["vth"], self.mcfg["surrogate_width"])
        return s.reshape(T * n, *cur.shape[1:])

    def _expand(self, val, n):
        """(N, ...) static or (T*N, ...) -> (T*N, ...), in the forward's memory format."""
        if val.shape[0] == n and self.T > 1:
            out = torch.empty((self.T * n, *val.shape[1:]), dtype=val.dtype, device=val.device,
                              memory_format=self.memory_format)
            out.view(self.T, *val.shape).copy_(val.unsqueeze(0))
            return out
        return val

    def forward(self, x, t, probe=None, spike_counts=None):
        """x: (N, C, H, W) constant over the SNN timesteps, or (T, N, C, H, W); t: (N,) diffusion steps.
        Returns the output currents (T, N, C, H, W) (T = 1 for the ANN). `probe`, a dict, receives each
        population's input current (T*N, C, H, W) (after tdBN, before the neuron); `spike_counts`, a dict,
        each spiking population's spikes summed over T and channels, (N, H, W), differentiable (synops.py)."""
        n = x.shape[-4]
        vals = {"x": (x if x.dim() == 4 else x.reshape(-1, *x.shape[2:])).contiguous(memory_format=self.memory_format)}
        ts = self.time_spikes(t)  # (T, N, D)
        for name in self.order:
            node = self.nodes[name]
            if self.kinds[name] == "real":
                vals[name] = node(vals[node.src.name])
                continue
            total = None
            for br in node.branches:
                acc = None
                for p in br.projs:
                    y = p(vals[p.src])
                    acc = y if acc is None else (acc + y if acc.shape[0] == y.shape[0] else self._expand(acc, n) + self._expand(y, n))
                if br.temb is not None:
                    acc = self._expand(acc, n)
                    te = br.temb(ts).reshape(-1, br.c_out, 1, 1)   # (T*N, C, 1, 1)
                    acc = acc + te
                if br.bn is not None:
                    acc = br.bn(self._expand(acc, n))
                else:
                    acc = acc + br.bias.view(1, -1, 1, 1)
                total = acc if total is None else self._expand(total, n) + self._expand(acc, n)
            total = self._expand(total, n)
            if probe is not None:
                probe[name] = total.detach()
            if node.readout:
                out = total
            else:
                vals[name] = self._neuron(total, n)
                if spike_counts is not None and self.spiking:
                    s = vals[name]
                    spike_counts[name] = s.view(self.T, n, *s.shape[1:]).sum((0, 2))
        return out.view(self.T, n, *out.shape[1:])

    def populations(self):
        return [self.nodes[n] for n in self.order if self.kinds[n] == "pop"]


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())
