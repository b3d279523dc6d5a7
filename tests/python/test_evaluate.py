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


def test_side_by_side_evaluations_train_the_classifier_once(tmp_path, monkeypatch):
    """Two evaluations that find no cached classifier: the first trains it under the cache lock, the second
    waits and loads the file the first saved (the training itself is replaced by a slow stand-in that counts
    its calls and returns an untrained classifier; the test-split statistics are computed for real)."""
    import threading
    import time

    from fsddim import evaluate
    monkeypatch.setenv("FSDDIM_CACHE", str(tmp_path / "cache"))
    calls = []

    def slow_training(device="cpu", quiet=False):
        calls.append(threading.get_ident())
        time.sleep(1.0)
        return evaluate.Classifier()

    monkeypatch.setattr(evaluate, "train_classifier", slow_training)
    got = {}
    threads = [threading.Thread(target=lambda k=k: got.__setitem__(k, evaluate.get_classifier(quiet=True)[1]))
               for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert len(calls) == 1
    assert sorted(got) == [0, 1]
    np.testing.assert_array_equal(got[0]["mu"], got[1]["mu"])
    assert (tmp_path / "cache" / "classifier.pt").exists()
