"""Kernel mean matching: the optimisation, the constraints, the landmark path,
and that the weights correct a covariate shift."""

import warnings

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, linprog, minimize
from scipy.stats import norm, spearmanr
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression

from sktransfer import DomainWarning, make_da_pipeline, stack_domains
from sktransfer._kernels import kernel_matrix, median_heuristic_gamma
from sktransfer.reweighting import KernelMeanMatching
from sktransfer.reweighting._kmm import (
    _largest_eigenvalue,
    _linear_minimizer,
    project_box_sum,
    solve_kmm_qp,
)


def _gaussian_shift(seed=0, n_source=300, n_target=200, n_features=1):
    """Source N(0, 1), target N(1, 0.5^2) in each feature."""
    rng = np.random.default_rng(seed)
    Xs = rng.normal(0.0, 1.0, size=(n_source, n_features))
    Xt = rng.normal(1.0, 0.5, size=(n_target, n_features))
    return Xs, Xt


def _weighted_mmd2(Xs, Xt, weights, gamma):
    """Biased squared MMD between the weighted source and the target, O(n^2)."""
    w = weights / weights.mean()
    n_s, n_t = len(Xs), len(Xt)
    return (
        w @ kernel_matrix(Xs, Xs, "rbf", gamma=gamma) @ w / n_s**2
        - 2.0 * w @ kernel_matrix(Xs, Xt, "rbf", gamma=gamma).sum(axis=1) / (n_s * n_t)
        + kernel_matrix(Xt, Xt, "rbf", gamma=gamma).mean()
    )


# --------------------------------------------------------------------------
# it corrects a covariate shift


def test_weighted_source_matches_the_target():
    Xs, Xt = _gaussian_shift()
    X, y, sd = stack_domains(Xs, np.zeros(len(Xs)), Xt)
    kmm = KernelMeanMatching(random_state=0).fit(X, y)
    weights = kmm.weights_[sd > 0]

    before = _weighted_mmd2(Xs, Xt, np.ones(len(Xs)), kmm.gamma_)
    after = _weighted_mmd2(Xs, Xt, weights, kmm.gamma_)
    assert after < 0.05 * before
    # the weighted source mean and spread move to the target's (1, 0.5)
    mean = np.average(Xs[:, 0], weights=weights)
    std = np.sqrt(np.average((Xs[:, 0] - mean) ** 2, weights=weights))
    assert abs(mean - 1.0) < 0.15 and abs(Xs[:, 0].mean() - 1.0) > 0.8
    assert abs(std - 0.5) < 0.1
    # larger weights where the target is denser: rank agreement with the true ratio
    true_ratio = norm.pdf(Xs[:, 0], 1.0, 0.5) / norm.pdf(Xs[:, 0], 0.0, 1.0)
    assert spearmanr(weights, true_ratio).statistic > 0.9
    assert weights[Xs[:, 0] > 0.5].mean() > 3 * weights[Xs[:, 0] < -0.5].mean()


def test_weights_of_the_base_class_convention():
    Xs, Xt = _gaussian_shift(n_features=2)
    X, y, sd = stack_domains(Xs, np.zeros(len(Xs)), Xt)
    kmm = KernelMeanMatching(random_state=0).fit(X, y)
    assert kmm.weights_.shape == (len(X),)
    np.testing.assert_array_equal(kmm.weights_[sd < 0], 1.0)
    assert kmm.weights_[sd > 0].mean() == pytest.approx(1.0)
    np.testing.assert_allclose(kmm.weights_[sd > 0], kmm.beta_ / kmm.beta_.mean())
    np.testing.assert_array_equal(kmm.fit_weights(X, y), kmm.weights_)
    assert kmm.gamma_ == pytest.approx(median_heuristic_gamma(X, 0))
    assert kmm.landmarks_ is None and kmm.n_iter_ >= 1


def test_kmm_weights_help_a_misspecified_linear_model():
    """Shimodaira's setting (used by Huang et al.): y = -x + x^3 + noise, source
    N(0.5, 0.5^2), target N(0, 0.3^2); a straight line fitted on the source
    extrapolates badly to the target unless the source rows are reweighted."""
    unweighted, weighted = [], []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        xs = rng.normal(0.5, 0.5, 200)
        xt = rng.normal(0.0, 0.3, 200)
        ys = -xs + xs**3 + rng.normal(0.0, 0.3, xs.size)
        yt = -xt + xt**3 + rng.normal(0.0, 0.3, xt.size)
        X, y, _ = stack_domains(xs[:, None], ys, xt[:, None])
        for errors, pipe in [
            (unweighted, make_da_pipeline(LinearRegression())),
            (weighted, make_da_pipeline(KernelMeanMatching(random_state=seed), LinearRegression())),
        ]:
            pipe.fit(X, y)
            errors.append(np.mean((pipe.predict(xt[:, None]) - yt) ** 2))
    unweighted, weighted = np.array(unweighted), np.array(weighted)
    assert weighted.mean() < 0.75 * unweighted.mean()
    assert np.sum(weighted < unweighted) >= 6


def test_same_weights_from_labels_and_from_sample_domain():
    Xs, Xt = _gaussian_shift(n_features=2)
    X, y, sd = stack_domains(Xs, np.zeros(len(Xs)), Xt)
    from_y = KernelMeanMatching(random_state=0).fit(X, y).weights_
    from_sd = KernelMeanMatching(random_state=0).fit(X, sample_domain=sd).weights_
    np.testing.assert_allclose(from_y, from_sd)
    # rows in another order: the same weight for each row
    order = np.random.default_rng(1).permutation(len(X))
    shuffled = KernelMeanMatching(random_state=0).fit(X[order], sample_domain=sd[order]).weights_
    np.testing.assert_allclose(shuffled, from_y[order], rtol=1e-3, atol=1e-3)


def test_linear_kernel_matches_the_means():
    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(400, 3))
    Xt = rng.normal(size=(300, 3)) * 0.7 + [0.5, -0.3, 0.2]
    X, y, sd = stack_domains(Xs, np.zeros(len(Xs)), Xt)
    # the linear kernel has no constant feature: only eps pins the total weight,
    # and with eps=0 the weighted mean is the target mean
    kmm = KernelMeanMatching(kernel="linear", eps=0.0, tol=1e-6).fit(X, y)
    assert kmm.beta_.mean() == pytest.approx(1.0)
    mean = np.average(Xs, axis=0, weights=kmm.weights_[sd > 0])
    np.testing.assert_allclose(mean, Xt.mean(axis=0), atol=0.01)
    assert kmm.gamma_ is None and kmm.landmarks_ is None


@pytest.mark.parametrize("kernel", ["rbf", "poly"])
def test_float32_input(kernel):
    Xs, Xt = _gaussian_shift(n_features=2)
    X, y, _ = stack_domains(Xs, np.zeros(len(Xs)), Xt)
    w64 = KernelMeanMatching(kernel, random_state=0).fit(X, y).weights_
    kmm32 = KernelMeanMatching(kernel, random_state=0).fit(X.astype(np.float32), y)
    assert kmm32.weights_.dtype == np.float64
    assert np.corrcoef(w64, kmm32.weights_)[0, 1] > 0.99


# --------------------------------------------------------------------------
# the programme and its constraints


@pytest.mark.parametrize("B, eps", [(2.0, None), (1000.0, 0.0), (1000.0, 0.01), (1.5, 0.0), (3.0, 0.2)])
def test_constraints_hold(B, eps):
    Xs, Xt = _gaussian_shift(n_features=2)
    X, y, sd = stack_domains(Xs, np.zeros(len(Xs)), Xt)
    kmm = KernelMeanMatching(B=B, eps=eps, random_state=0).fit(X, y)
    n_s = len(Xs)
    expected_eps = (np.sqrt(n_s) - 1) / np.sqrt(n_s) if eps is None else eps
    assert kmm.eps_ == pytest.approx(expected_eps)
    assert kmm.beta_.min() >= 0.0 and kmm.beta_.max() <= B
    assert abs(kmm.beta_.mean() - 1.0) <= expected_eps + 1e-9
    if B < 5:  # the bound binds: unconstrained, the largest weights are near 10
        assert kmm.beta_.max() == pytest.approx(B)


def _tiny_problem(seed):
    rng = np.random.default_rng(seed)
    n_s, n_t = rng.integers(5, 20), rng.integers(5, 20)
    Xs = rng.normal(size=(n_s, 2))
    Xt = rng.normal(size=(n_t, 2)) * rng.uniform(0.4, 1.2) + rng.uniform(0.0, 1.5)
    K = kernel_matrix(Xs, Xs, "rbf", gamma=0.5)
    kappa = n_s / n_t * kernel_matrix(Xs, Xt, "rbf", gamma=0.5).sum(axis=1)
    return K, kappa


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("B, eps", [(1000.0, 0.8), (2.0, 0.3), (1000.0, 0.0), (1.5, 0.05)])
def test_qp_optimum_matches_slsqp(seed, B, eps):
    K, kappa = _tiny_problem(seed)
    n = len(kappa)
    lo, hi = n * (1 - eps), n * (1 + eps)

    def objective(b):
        return 0.5 * b @ K @ b - kappa @ b, K @ b - kappa

    reference = minimize(
        objective, np.ones(n), jac=True, method="SLSQP", bounds=Bounds(0.0, B),
        constraints=[LinearConstraint(np.ones((1, n)), lo, hi)],
        options={"ftol": 1e-14, "maxiter": 1000},
    ).x
    beta, _, converged, gap = solve_kmm_qp(
        K.__matmul__, kappa, B, lo, hi,
        max_iter=20000, tol=1e-7,
    )
    assert converged and gap >= -1e-12
    assert beta.min() >= 0 and beta.max() <= B and lo - 1e-9 <= beta.sum() <= hi + 1e-9
    f_ours, f_ref, f_ones = objective(beta)[0], objective(reference)[0], objective(np.ones(n))[0]
    # at least as good as SLSQP, up to a tiny fraction of the improvement over beta = 1
    assert f_ours <= f_ref + 1e-6 * max(f_ones - f_ref, 1e-12)


def test_projection_and_linear_minimizer_against_scipy():
    rng = np.random.default_rng(0)
    for _ in range(40):
        n = int(rng.integers(1, 15))
        B = float(rng.choice([0.7, 1.0, 3.0, 100.0]))
        eps = float(rng.choice([0.0, 0.1, 0.9]))
        lo, hi = n * (1 - eps), n * (1 + eps)
        if B * n < lo:
            continue
        v = rng.normal(size=n) * 3 + rng.normal()
        p = project_box_sum(v, B, lo, hi)
        q = minimize(
            lambda x: 0.5 * np.sum((x - v) ** 2), np.clip(v, 0, B), jac=lambda x: x - v,
            method="SLSQP", bounds=Bounds(0, B),
            constraints=[LinearConstraint(np.ones((1, n)), lo, hi)], options={"ftol": 1e-15},
        ).x
        np.testing.assert_allclose(p, q, atol=1e-6)
        assert p.min() >= 0 and p.max() <= B and lo - 1e-9 <= p.sum() <= hi + 1e-9
        g = np.round(rng.normal(size=n), 1)  # with ties
        s = _linear_minimizer(g, B, lo, hi)
        best = linprog(g, A_ub=[np.ones(n), -np.ones(n)], b_ub=[hi, -lo], bounds=[(0, B)] * n).fun
        assert g @ s == pytest.approx(best, abs=1e-9)


@pytest.mark.parametrize("n", [10, 300])
def test_largest_eigenvalue_is_a_tight_upper_bound(n):
    rng = np.random.default_rng(0)
    A = rng.normal(size=(n, n // 2))
    K = A @ A.T
    true = np.linalg.eigvalsh(K)[-1]
    assert true <= _largest_eigenvalue(K.__matmul__, n) <= 1.01 * true


def test_convergence_warning():
    Xs, Xt = _gaussian_shift(n_features=3)
    X, y, _ = stack_domains(Xs, np.zeros(len(Xs)), Xt)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        kmm = KernelMeanMatching(max_iter=3, tol=0.0, random_state=0).fit(X, y)
    assert kmm.n_iter_ <= 3
    assert kmm.beta_.min() >= 0  # still a feasible point


def test_no_target_rows_gives_unit_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    with pytest.warns(DomainWarning, match="no target rows"):
        kmm = KernelMeanMatching().fit(X, np.zeros(30))
    np.testing.assert_array_equal(kmm.weights_, 1.0)
    assert kmm.n_iter_ == 0


# --------------------------------------------------------------------------
# the landmark path


def test_landmark_path_agrees_with_the_exact_path():
    Xs, Xt = _gaussian_shift(seed=3, n_source=1200, n_target=1000, n_features=3)
    X, y, sd = stack_domains(Xs, np.zeros(len(Xs)), Xt)
    exact = KernelMeanMatching(random_state=0).fit(X, y)
    approx = KernelMeanMatching(n_landmarks=200, random_state=0).fit(X, y)
    assert exact.landmarks_ is None
    assert approx.landmarks_.shape == (200, 3)
    # landmarks are drawn from both domains
    from_source = np.isin(approx.landmarks_, Xs).all(axis=1).sum()
    assert 0 < from_source < 200
    assert np.corrcoef(exact.weights_[sd > 0], approx.weights_[sd > 0])[0, 1] > 0.95
    before = _weighted_mmd2(Xs, Xt, np.ones(len(Xs)), exact.gamma_)
    mmd_exact = _weighted_mmd2(Xs, Xt, exact.weights_[sd > 0], exact.gamma_)
    mmd_approx = _weighted_mmd2(Xs, Xt, approx.weights_[sd > 0], exact.gamma_)
    assert mmd_approx < 0.05 * before
    assert mmd_approx < mmd_exact + 0.01 * before


def test_auto_uses_landmarks_above_5000_source_rows(monkeypatch):
    import sktransfer.reweighting._kmm as kmm_module

    monkeypatch.setattr(kmm_module, "_EXACT_MAX_SOURCE", 100)
    monkeypatch.setattr(kmm_module, "_AUTO_LANDMARKS", 50)
    Xs, Xt = _gaussian_shift(n_source=150, n_target=100, n_features=2)
    X, y, _ = stack_domains(Xs, np.zeros(len(Xs)), Xt)
    assert KernelMeanMatching(random_state=0).fit(X, y).landmarks_.shape == (50, 2)
    Xs, Xt = _gaussian_shift(n_source=90, n_target=100, n_features=2)
    X, y, _ = stack_domains(Xs, np.zeros(len(Xs)), Xt)
    assert KernelMeanMatching(random_state=0).fit(X, y).landmarks_ is None


# --------------------------------------------------------------------------
# parameters


@pytest.mark.parametrize(
    "params, match",
    [
        ({"kernel": "sigmoid"}, "kernel"),
        ({"gamma": 0.0}, "gamma"),
        ({"B": 0}, "B must be"),
        ({"B": np.inf}, "B must be"),
        ({"eps": -0.1}, "eps"),
        ({"B": 0.5, "eps": 0.1}, "cannot hold together"),
        ({"n_landmarks": 0}, "n_landmarks"),
        ({"n_landmarks": "many"}, "n_landmarks"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": -1.0}, "tol"),
        ({"degree": 0}, "degree"),
    ],
)
def test_bad_parameters(params, match):
    Xs, Xt = _gaussian_shift()
    X, y, _ = stack_domains(Xs, np.zeros(len(Xs)), Xt)
    with pytest.raises(ValueError, match=match):
        KernelMeanMatching(**params).fit(X, y)


def test_poly_kernel_reduces_the_gap():
    Xs, Xt = _gaussian_shift(n_features=2)
    X, y, sd = stack_domains(Xs, np.zeros(len(Xs)), Xt)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        weights = KernelMeanMatching("poly", degree=2, random_state=0).fit(X, y).weights_[sd > 0]
    # degree 2 matches the first two moments
    np.testing.assert_allclose(np.average(Xs, axis=0, weights=weights), Xt.mean(axis=0), atol=0.1)
