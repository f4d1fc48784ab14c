"""DomainStandardScaler: each domain standardised with its own statistics."""

import numpy as np
import pytest

from sktransfer import DomainStandardScaler


def test_domain_standard_scaler():
    rng = np.random.default_rng(0)
    Xs = rng.normal(5.0, 2.0, size=(200, 3))
    Xt = rng.normal(-1.0, 0.5, size=(100, 3))
    X = np.vstack([Xs, Xt])
    y = np.r_[np.zeros(100), np.ones(100), -np.ones(100)].astype(int)
    scaler = DomainStandardScaler()
    Z = scaler.fit_transform(X, y)
    np.testing.assert_allclose(Z[:200].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z[200:].std(axis=0), 1)
    # rows are target rows at transform time unless sample_domain says otherwise
    np.testing.assert_allclose(scaler.transform(Xt), Z[200:])
    np.testing.assert_allclose(scaler.transform(Xs, sample_domain=np.ones(200, int)), Z[:200])
    # a constant feature is centred, not divided by zero
    X[:, 1] = 3.0
    Z = DomainStandardScaler().fit_transform(X, y)
    assert np.all(np.isfinite(Z)) and np.all(Z[:, 1] == 0)
    with pytest.raises(ValueError, match="features"):
        scaler.transform(Xt[:, :2])
