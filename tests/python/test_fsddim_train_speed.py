"""The CPU-optimised training forward/backward (fused whole-sequence LIF, expand into a preallocated
tensor, channels-last activations) computes what the straightforward formulation computes."""
import copy

import pytest
import torch

import fsddim.net as net_module
from fsddim import diffusion
from fsddim.config import load_config
from fsddim.lif import lif, triangle
from fsddim.net import FSDDIMNet
from fsddim.train import load_checkpoint, train


class _Spike(torch.autograd.Function):
    """Heaviside s = (u > vth) with the triangle surrogate as its derivative."""

    @staticmethod
    def forward(ctx, u, vth, width):
        ctx.save_for_backward(u)
        ctx.vth, ctx.width = vth, width
        return (u > vth).to(u.dtype)

    @staticmethod
    def backward(ctx, g):
        (u,) = ctx.saved_tensors
        return g * triangle(u, ctx.vth, ctx.width), None, None


def lif_autograd(current, decay=0.8, vth=1.0, width=0.5):
    """The LIF as written in the paper's code, differentiated by autograd: u = decay u (1 - s) + I, reset
    detached."""
    u = torch.zeros_like(current[0])
    s = torch.zeros_like(current[0])
    out = []
    for t in range(current.shape[0]):
        u = decay * u * (1.0 - s.detach()) + current[t]
        s = _Spike.apply(u, vth, width)
        out.append(s)
    return torch.stack(out)


def expand_by_reshape(self, val, n):
    """The straightforward broadcast over T: expand, then reshape (a copy)."""
    if val.shape[0] == n and self.T > 1:
        return val.unsqueeze(0).expand(self.T, *val.shape).reshape(self.T * n, *val.shape[1:])
    return val


def assert_grads_close(a, b, rel=1e-5):
    """Every gradient within rel of the largest gradient's magnitude (a bias ahead of a batch norm has an
    exact gradient of 0 and a rounding-noise one: relative errors of those mean nothing)."""
    scale = max(float(g.abs().max()) for g in b.values())
    assert scale > 0
    for k in b:
        torch.testing.assert_close(a[k], b[k], rtol=0.0, atol=rel * scale, msg=k)


@pytest.mark.parametrize("T", [1, 2, 4])
def test_fused_lif_equals_the_autograd_formulation(T):
    torch.manual_seed(0)
    current = (torch.randn(T, 16, 3, 6, 6) * 0.8 + 0.6)
    current[0, 0, 0, 0, :3] = torch.tensor([1.0, 0.5, 1.5])        # at the threshold and the surrogate's edges
    grad_out = torch.randn_like(current)
    a = current.clone().requires_grad_()
    b = current.clone().requires_grad_()
    s_fused = lif(a, 0.8, 1.0, 0.5)
    s_ref = lif_autograd(b, 0.8, 1.0, 0.5)
    assert torch.equal(s_fused, s_ref)                              # bit-identical spikes
    assert 0.1 < float(s_ref.mean()) < 0.9                          # both spiking and silent neurons
    s_fused.backward(grad_out)
    s_ref.backward(grad_out)
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-6)
    assert float(a.grad.abs().sum()) > 0


def _loss_and_grads(model, seed=1, n=12):
    g = torch.Generator().manual_seed(seed)
    dtype = next(model.parameters()).dtype
    x0 = (torch.rand(n, 1, 28, 28, generator=g) * 2 - 1).to(dtype)
    t = torch.randint(0, 1000, (n,), generator=g)
    noise = torch.randn(x0.shape, generator=g).to(dtype)
    tables = diffusion.Schedule().tables(dtype)
    x_t = tables[0][t].view(-1, 1, 1, 1) * x0 + tables[1][t].view(-1, 1, 1, 1) * noise
    out = model(x_t, t)
    diffusion.losses(out, x0, noise, t, tables)[0].backward()
    return out.detach(), {k: p.grad.clone() for k, p in model.named_parameters()}


def test_network_forward_backward_equal_the_straightforward_formulation(monkeypatch):
    """Tiny preset, train mode, float32, contiguous layout: the same output bits and the same gradients (to
    1e-5 of the largest) as the network with the autograd LIF and expand-by-reshape."""
    torch.set_num_threads(1)
    cfg = load_config("tiny", [])
    torch.manual_seed(0)
    fast = FSDDIMNet(cfg["model"]).train()
    ref = copy.deepcopy(fast)
    out_fast, g_fast = _loss_and_grads(fast)
    monkeypatch.setattr(net_module, "lif", lif_autograd)
    monkeypatch.setattr(FSDDIMNet, "_expand", expand_by_reshape)
    out_ref, g_ref = _loss_and_grads(ref)
    assert torch.equal(out_fast, out_ref)
    assert_grads_close(g_fast, g_ref, 1e-5)


def test_channels_last_computes_the_same_network():
    """The layout changes only the order of float sums; in float64 that is below 1e-9 of the output and of the
    largest gradient, so every spike is the same."""
    torch.set_num_threads(1)
    cfg = load_config("tiny", [])
    torch.manual_seed(0)
    plain = FSDDIMNet(cfg["model"]).double().train()
    cl = copy.deepcopy(plain)
    cl.memory_format = torch.channels_last
    out_plain, g_plain = _loss_and_grads(plain)
    out_cl, g_cl = _loss_and_grads(cl)
    torch.testing.assert_close(out_cl, out_plain, rtol=0.0, atol=1e-9 * float(out_plain.abs().max()))
    assert_grads_close(g_cl, g_plain, 1e-9)


def test_training_is_deterministic_for_a_seed(tmp_path):
    torch.set_num_threads(1)
    cfg = load_config("tiny", ["train.iterations=4", "train.subset=64", "train.device=cpu"])
    assert cfg["train"]["channels_last"]                           # the default layout is the one tested
    states = []
    for k in range(2):
        train(cfg, str(tmp_path / f"run{k}"), quiet=True)
        states.append(load_checkpoint(str(tmp_path / f"run{k}" / "float.pt"), use_ema=False)["model"].state_dict())
    for name, v in states[0].items():
        assert torch.equal(v, states[1][name]), name
