"""LIF semantics (strict threshold, hard reset, decay) and the triangle surrogate gradient."""
import torch

from fsddim.lif import CHIP_DV, chip_lif, lif, lif_reference, triangle


def test_strict_threshold_equality_does_not_fire():
    s, u = lif_reference(torch.tensor([[1.0], [1.0 + 1e-6]]), decay=0.0, vth=1.0)
    assert s[0, 0] == 0 and u[0, 0] == 1.0      # u == vth: no spike
    assert s[1, 0] == 1                         # u > vth: spike


def test_hard_reset_and_decay_sequence():
    # I = 0.6 every step, decay 0.8: u = 0.6, 1.08 (spike), reset -> 0.6, 1.08 (spike) ...
    I = torch.full((5, 1), 0.6)
    s, u = lif_reference(I, decay=0.8, vth=1.0)
    assert torch.allclose(u[:, 0], torch.tensor([0.6, 1.08, 0.6, 1.08, 0.6]))
    assert s[:, 0].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]


def test_decay_without_spikes_is_geometric():
    I = torch.tensor([[0.5], [0.0], [0.0], [0.0]])
    _, u = lif_reference(I, decay=0.8)
    assert torch.allclose(u[:, 0], torch.tensor([0.5, 0.4, 0.32, 0.256]))


def test_autograd_lif_matches_reference_forward():
    torch.manual_seed(0)
    I = torch.randn(6, 50) * 0.8 + 0.5
    s_ref, _ = lif_reference(I)
    assert torch.equal(lif(I), s_ref)


def test_triangle_surrogate_shape():
    u = torch.tensor([0.0, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0])
    g = triangle(u, 1.0, 0.5)
    # peak 1/(2 aa) = 1 at the threshold, linear to zero at +-aa, zero outside
    assert torch.allclose(g, torch.tensor([0.0, 0.0, 0.5, 1.0, 0.5, 0.0, 0.0]))


def test_surrogate_gradient_through_lif_single_step():
    u = torch.tensor([[0.2, 0.8, 1.0, 1.3, 1.6]], requires_grad=True)
    lif(u, 0.8, 1.0, 0.5).sum().backward()
    assert torch.allclose(u.grad, triangle(u.detach(), 1.0, 0.5))


def test_bptt_gradient_follows_decay_and_detached_reset():
    # two steps, no spike at step 0: ds1/dI0 = tri(u1) * decay
    I = torch.tensor([[0.3], [0.6]], requires_grad=True)
    s = lif(I, 0.8, 1.0, 0.5)
    s[1].sum().backward()
    u1 = 0.8 * 0.3 + 0.6
    assert abs(I.grad[0, 0].item() - triangle(torch.tensor(u1), 1.0, 0.5).item() * 0.8) < 1e-6
    # with a spike at step 0 the reset is detached: no path from step 0 to step 1 through u
    I = torch.tensor([[1.2], [0.6]], requires_grad=True)
    s = lif(I, 0.8, 1.0, 0.5)
    s[1].sum().backward()
    assert I.grad[0, 0].item() == 0.0


def test_chip_lif_is_the_loihi_voltage_update():
    # vth_int = 64 * 100; integer currents; v = trunc(v * 3277 / 4096) + I, strict >, reset to 0
    vth = torch.tensor([6400.0])
    I = torch.tensor([3000.0, 3000.0, 3000.0, 6400.0, 6401.0, -5000.0, 0.0]).view(7, 1, 1, 1, 1)
    s = chip_lif(I, vth).view(-1).tolist()
    v, expect = 0, []
    for x in [3000, 3000, 3000, 6400, 6401, -5000, 0]:
        mag = (abs(v) * (4096 - CHIP_DV)) >> 12
        v = (mag if v >= 0 else -mag) + x
        fired = v > 6400
        expect.append(1.0 if fired else 0.0)
        if fired:
            v = 0
    assert s == expect
    assert expect[3] == 0.0 and expect[4] == 1.0   # v == 6400 right after a reset does not fire; then it does
