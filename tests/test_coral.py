"""CORAL: the algebra, the domain handling, sklearn integration, and that it helps."""

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import sqrtm
from sklearn.linear_model import LogisticRegression

import sktransfer._linalg
import sktransfer.alignment._coral
from sktransfer import CORAL, DomainWarning, make_da_pipeline, stack_domains


def _shifted(n_source=400, n_target=300, n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    Xs = rng.normal(size=(n_source, n_features)) @ rng.normal(size=(n_features, n_features))
    Xt = rng.normal(size=(n_target, n_features)) * np.arange(1, n_features + 1) + 3.0
    return Xs, Xt


def test_recoloured_source_covariance_matches_target():
    Xs, Xt = _shifted()
    X, y, _ = stack_domains(Xs, np.zeros(len(Xs), dtype=int), Xt)
    X_new = CORAL(reg=0.0).fit_transform(X, y)
    np.testing.assert_allclose(np.cov(X_new[: len(Xs)].T), np.cov(Xt.T), rtol=1e-8, atol=1e-10)
    # with the paper's reg=1 the match is close but not exact, and much closer than before
    X_reg = CORAL().fit_transform(X, y)
    before = np.linalg.norm(np.cov(Xs.T) - np.cov(Xt.T))
    after = np.linalg.norm(np.cov(X_reg[: len(Xs)].T) - np.cov(Xt.T))
    assert after < 0.35 * before


def test_matches_the_papers_formula():
    """Xs (Cs + I)^-1/2 (Ct + I)^1/2, written with sqrtm as in the paper."""
    Xs, Xt = _shifted(n_features=3)
    X, y, sd = stack_domains(Xs, np.zeros(len(Xs), dtype=int), Xt)
    coral = CORAL(reg=1.0).fit(X, sample_domain=sd)
    cs = np.cov(Xs.T) + np.eye(3)
    ct = np.cov(Xt.T) + np.eye(3)
    expected = Xs @ np.linalg.inv(sqrtm(cs)).real @ sqrtm(ct).real
    np.testing.assert_allclose(coral.transform(Xs, sample_domain=np.ones(len(Xs))), expected, rtol=1e-10)
    np.testing.assert_allclose(coral.covariance_source_, np.cov(Xs.T), rtol=1e-10)
    np.testing.assert_allclose(coral.covariance_target_, np.cov(Xt.T), rtol=1e-10)


def test_target_rows_are_left_as_they_are():
    Xs, Xt = _shifted()
    X, y, sd = stack_domains(Xs, np.zeros(len(Xs), dtype=int), Xt)
    coral = CORAL()
    X_fit = coral.fit_transform(X, y)
    np.testing.assert_array_equal(X_fit[len(Xs):], Xt)
    # transform treats rows as target unless told otherwise
    np.testing.assert_array_equal(coral.transform(X), X)
    np.testing.assert_allclose(coral.transform(X, sample_domain=sd), X_fit)


def test_same_result_from_y_and_from_sample_domain_in_any_row_order():
    Xs, Xt = _shifted()
    X, y, sd = stack_domains(Xs, np.zeros(len(Xs), dtype=int), Xt)
    order = np.random.default_rng(1).permutation(len(X))
    from_y = CORAL().fit_transform(X[order], y[order])
    from_sd = CORAL().fit_transform(X[order], sample_domain=sd[order])
    np.testing.assert_allclose(from_y, from_sd)
    np.testing.assert_allclose(from_y[np.argsort(order)], CORAL().fit_transform(X, y), rtol=1e-10)


def test_chunked_passes_match_a_direct_computation(monkeypatch):
    monkeypatch.setattr(sktransfer._linalg, "_CHUNK_BYTES", 1)
    monkeypatch.setattr(sktransfer.alignment._coral, "_CHUNK_BYTES", 1)
    Xs, Xt = _shifted(n_source=700, n_target=900)
    X, y, _ = stack_domains(Xs, np.zeros(len(Xs), dtype=int), Xt)
    order = np.random.default_rng(2).permutation(len(X))
    coral = CORAL(reg=0.5)
    X_new = coral.fit_transform(X[order], y[order])
    np.testing.assert_allclose(coral.covariance_target_, np.cov(Xt.T), rtol=1e-10)
    np.testing.assert_allclose(X_new[np.argsort(order)][: len(Xs)], Xs @ coral.recoloring_, rtol=1e-10)


def test_float32_stays_float32_and_is_accurate():
    Xs, Xt = _shifted()
    X, y, _ = stack_domains(Xs, np.zeros(len(Xs), dtype=int), Xt)
    X64 = CORAL().fit_transform(X, y)
    coral = CORAL().fit(X.astype(np.float32), y)
    X32 = coral.transform(X.astype(np.float32), sample_domain=np.where(y == -1, -1, 1))
    assert X32.dtype == np.float32 and coral.recoloring_.dtype == np.float32
    np.testing.assert_allclose(X32, X64, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype, offset, tol", [(np.float32, 1e4, 1e-3), (np.float64, 1e8, 1e-6)])
def test_large_offset_does_not_spoil_the_covariance(dtype, offset, tol):
    Xs, Xt = _shifted()
    X, y, _ = stack_domains(Xs + offset, np.zeros(len(Xs), dtype=int), Xt + offset)
    coral = CORAL().fit(X.astype(dtype), y)
    np.testing.assert_allclose(coral.covariance_source_, np.cov(Xs.T), rtol=tol, atol=tol)


def test_rank_deficient_covariance_with_no_regularisation_is_finite():
    Xs, Xt = _shifted()
    Xs[:, 1] = Xs[:, 0]
    X, y, _ = stack_domains(Xs, np.zeros(len(Xs), dtype=int), Xt)
    assert np.isfinite(CORAL(reg=0.0).fit_transform(X, y)).all()


def test_pandas_output_and_feature_names():
    Xs, Xt = _shifted(n_features=3)
    X, y, _ = stack_domains(Xs, np.zeros(len(Xs), dtype=int), Xt)
    frame = pd.DataFrame(X, columns=["age", "income", "debt"])
    coral = CORAL().set_output(transform="pandas")
    out = coral.fit_transform(frame, y)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["age", "income", "debt"]
    np.testing.assert_array_equal(coral.get_feature_names_out(), ["age", "income", "debt"])
    np.testing.assert_array_equal(CORAL().fit(X, y).get_feature_names_out(), ["x0", "x1", "x2"])


def test_fit_without_target_rows_warns_and_maps_to_itself():
    Xs, _ = _shifted()
    with pytest.warns(DomainWarning, match="CORAL: fit saw no target rows"):
        X_new = CORAL().fit_transform(Xs, np.zeros(len(Xs), dtype=int))
    np.testing.assert_allclose(X_new, Xs, atol=1e-10)


def test_auto_regularisation_is_the_oas_shrinkage():
    from sklearn.covariance import oas

    Xs, Xt = _shifted(n_source=30, n_target=200, n_features=20)
    X, y, _ = stack_domains(Xs, np.zeros(len(Xs), dtype=int), Xt)
    coral = CORAL(reg="auto").fit(X, y)
    (cov_s, rho_s), (cov_t, rho_t) = oas(Xs), oas(Xt)
    np.testing.assert_allclose(coral.shrinkage_, (rho_s, rho_t))
    assert rho_s > rho_t  # fewer rows, more shrinkage
    # sklearn's oas is the biased covariance; CORAL shrinks the unbiased one
    expected = Xs @ np.linalg.inv(sqrtm(cov_s * 30 / 29)).real @ sqrtm(cov_t * 200 / 199).real
    np.testing.assert_allclose(coral.transform(Xs, sample_domain=np.ones(30)), expected, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("reg", [-1.0, "oas", None])
def test_bad_reg_is_an_error(reg):
    Xs, Xt = _shifted()
    X, y, _ = stack_domains(Xs, np.zeros(len(Xs), dtype=int), Xt)
    with pytest.raises(ValueError, match="reg must be a non-negative number or 'auto'"):
        CORAL(reg=reg).fit(X, y)


def test_errors_on_domains_and_features():
    Xs, Xt = _shifted()
    with pytest.raises(ValueError, match="CORAL: no source rows"):
        CORAL().fit(Xt, np.full(len(Xt), -1))
    X, y, _ = stack_domains(Xs, np.zeros(len(Xs), dtype=int), Xt)
    coral = CORAL().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        coral.transform(X[:, :2])
    with pytest.raises(ValueError, match="sample_domain contains 0"):
        coral.transform(X, sample_domain=np.zeros(len(X)))


def test_coral_helps_on_a_covariance_shift():
    """Target = source classes under a feature-wise rescaling: a linear classifier
    trained on raw source rows loses accuracy on the target, and CORAL wins
    part of it back, on every seed."""
    gains = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        n, d = 600, 6
        means = rng.normal(size=(3, d))
        ys, yt = rng.integers(0, 3, n), rng.integers(0, 3, n)
        Xs = means[ys] + rng.normal(size=(n, d))
        Xt = (means[yt] + rng.normal(size=(n, d))) * np.array([4.0, 0.25, 3.0, 0.3, 1.0, 2.5])
        X, y, _ = stack_domains(Xs, ys, Xt)
        source_only = LogisticRegression().fit(Xs, ys).score(Xt, yt)
        adapted = make_da_pipeline(CORAL(), LogisticRegression()).fit(X, y).predict(Xt)
        gains.append(np.mean(adapted == yt) - source_only)
    # measured gains: 0.048, 0.072, 0.137
    assert min(gains) > 0.02 and np.mean(gains) > 0.05, gains
