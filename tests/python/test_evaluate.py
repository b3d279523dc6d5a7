"""The FID / IS-like helpers (the classifier itself is trained by fsddim.evaluate, not in tests)."""
import numpy as np
import pytest

from fsddim.evaluate import frechet, inception_like


def test_frechet_distance():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 6))
    b = rng.normal(size=(4000, 6)) + np.array([1.0, 0, 0, 0, 0, 0])
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    assert frechet(a.mean(0), ca, a.mean(0), ca) == pytest.approx(0.0, abs=1e-6)
    # shift of 1 in one dimension, same covariance: FID ~ 1
    assert frechet(a.mean(0), ca, b.mean(0), cb) == pytest.approx(1.0, abs=0.15)
    # diagonal closed form: |mu1 - mu2|^2 + sum (s1 + s2 - 2 sqrt(s1 s2))
    s1, s2 = np.diag([1.0, 4.0]), np.diag([4.0, 9.0])
    assert frechet(np.zeros(2), s1, np.ones(2), s2) == pytest.approx(2 + (1 + 4 - 4) + (4 + 9 - 12), abs=1e-9)


def test_inception_like_score_bounds():
    confident_diverse = np.eye(10)[np.arange(1000) % 10]
    assert inception_like(confident_diverse) == pytest.approx(10.0, rel=1e-6)
    assert inception_like(np.full((100, 10), 0.1)) == pytest.approx(1.0, rel=1e-6)
    assert inception_like(np.eye(10)[np.zeros(100, dtype=int)]) == pytest.approx(1.0, rel=1e-6)
