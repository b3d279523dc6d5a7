"""Schedule, loss terms and DDIM coefficients against direct computations; the fixed-point schedule."""
import math

import numpy as np
import pytest
import torch

from fsddim import diffusion


@pytest.fixture(scope="module")
def sched():
    return diffusion.Schedule(1000, 0.008)


def test_cosine_schedule_endpoints(sched):
    ab = sched.alpha_bar
    assert ab.shape == (1000,)
    assert np.all(np.diff(ab) < 0)
    # alpha_bar_0 = cos^2 at x = 1/1000 over cos^2 at 0 (first beta)
    f = lambda x: math.cos((x / 1000 + 0.008) / 1.008 * math.pi / 2) ** 2
    assert ab[0] == pytest.approx(f(1) / f(0), rel=1e-12)
    assert ab[-1] < 1e-4


def test_ddim_coefficients_match_the_c1_c2_form(sched):
    # reference form: x0 = a_t x - s_t v; x_prev = c1 x0 + c2 x_t, c1 = a_p - a_t s_p / s_t, c2 = s_p / s_t
    for t, tp in [(999, 949), (500, 480), (10, 0), (3, -1), (1, 0)]:
        ab_t = sched.alpha_bar[t]
        ab_p = 1.0 if tp < 0 else sched.alpha_bar[tp]
        a_t, s_t, a_p, s_p = math.sqrt(ab_t), math.sqrt(1 - ab_t), math.sqrt(ab_p), math.sqrt(1 - ab_p)
        c2 = s_p / s_t
        c1 = a_p - a_t * s_p / s_t
        x, v = 0.37, -1.21
        direct = c1 * (a_t * x - s_t * v) + c2 * x
        A, B = sched.coeffs(t, tp)
        assert A * x + B * v == pytest.approx(direct, abs=1e-12)


def test_ddim_step_recovers_x0_with_the_true_v(sched):
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.randn(100, generator=g).double(), torch.randn(100, generator=g).double()
    t = 700
    a, s = sched.a[t], sched.s[t]
    x_t, v = a * x0 + s * eps, a * eps - s * x0
    A, B = sched.coeffs(t, -1)
    assert torch.allclose(A * x_t + B * v, x0, atol=1e-12)
    A, B = sched.coeffs(t, 300)   # deterministic DDIM lands on the same trajectory
    assert torch.allclose(A * x_t + B * v, sched.a[300] * x0 + sched.s[300] * eps, atol=1e-12)


def test_ddim_times_strided():
    pairs = diffusion.ddim_times(1000, 4)
    assert pairs[0][0] == 999 and pairs[-1][1] == -1 and len(pairs) == 4
    assert len(diffusion.ddim_times(1000, 1000)) == 1000
    with pytest.raises(ValueError):
        diffusion.ddim_times(1000, 0)


def test_fixed_point_coefficients_close_to_float(sched):
    a, s = diffusion.fixed_tables(sched)
    for t, tp in diffusion.ddim_times(1000, 20):
        A, B = diffusion.fixed_coefficients(a, s, t, tp, 24)
        Af, Bf = sched.coeffs(t, tp)
        assert abs(A / 2 ** 24 - Af) < 3e-7 and abs(B / 2 ** 24 - Bf) < 3e-7


def test_fixed_update_rounds_and_saturates():
    x = torch.tensor([4096, -4096, 32767])        # 1.0, -1.0, ~8 in Q.12
    o = torch.tensor([1 << 18, 0, 1 << 18])       # 1.0 in Q.18
    A, B = 1 << 23, -(1 << 22)                     # 0.5 x - 0.25 o
    y = diffusion.fixed_update(x, o, A, B, 24, 12, 18, 16)
    assert y.tolist() == [1024, -2048, 15360]
    y = diffusion.fixed_update(torch.tensor([30000, -30000]), torch.tensor([1 << 21, -(1 << 21)]), 1 << 24, 1 << 24, 24, 12, 18, 16)
    assert y.tolist() == [32767, -32768]           # 7.3 + 8 and -7.3 - 8 saturate at the payload range


def test_loss_terms_by_hand(sched):
    T, N = 3, 2
    g = torch.Generator().manual_seed(1)
    x0 = torch.randn(N, 1, 2, 2, generator=g)
    noise = torch.randn(N, 1, 2, 2, generator=g)
    out = torch.randn(T, N, 1, 2, 2, generator=g)
    t = torch.tensor([10, 900])
    tables = sched.tables(torch.float64)
    total, l_img, l_rec = diffusion.losses(out.double(), x0.double(), noise.double(), t, tables, True)
    img, rec = 0.0, 0.0
    for i in range(N):
        ti = int(t[i])
        v = sched.a[ti] * noise[i].double() - sched.s[ti] * x0[i].double()
        pred = out[:, i].double().mean(0)
        img += sched.alpha_bar[ti] * ((pred - v) ** 2).mean().item()
        rec += sched.recons_weight[ti] * ((out[:, i].double() - pred) ** 2).mean().item()
    assert l_img.item() == pytest.approx(img / N, rel=1e-9)
    assert l_rec.item() == pytest.approx(rec / N, rel=1e-9)
    assert total.item() == pytest.approx((img + rec) / N, rel=1e-9)
    # constant currents over T: no recons loss; recons disabled: zero
    const = out[:1].expand(T, -1, -1, -1, -1).double()
    assert diffusion.losses(const, x0.double(), noise.double(), t, tables, True)[2].item() == pytest.approx(0.0, abs=1e-15)
    assert diffusion.losses(out.double(), x0.double(), noise.double(), t, tables, False)[2].item() == 0.0


def test_recons_weight_is_normalised_ddim_output_weight(sched):
    r = sched.recons_weight
    assert r.max() == pytest.approx(1.0)
    t = 400
    ab, abp = sched.alpha_bar[t], sched.alpha_bar[t - 1]
    c1 = math.sqrt(abp) - math.sqrt(ab) * math.sqrt(1 - abp) / math.sqrt(1 - ab)
    raw = lambda tt: abs(-math.sqrt(1 - sched.alpha_bar[tt]) * (math.sqrt(sched.alpha_bar[tt - 1] if tt else 1.0)
                         - math.sqrt(sched.alpha_bar[tt]) * math.sqrt(1 - (sched.alpha_bar[tt - 1] if tt else 1.0)) / math.sqrt(1 - sched.alpha_bar[tt])))
    m = max(raw(k) for k in range(1000))
    assert r[t] == pytest.approx(abs(-math.sqrt(1 - ab) * c1) / m, rel=1e-9)
