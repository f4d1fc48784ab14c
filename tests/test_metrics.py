"""MMD and its permutation test: the formula, the p-value, its level and power."""

import ast
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binom

import sktransfer.metrics
from sktransfer._kernels import median_heuristic_gamma
from sktransfer.metrics import MMDTestResult, mmd, mmd_test


def _rbf(A, C, gamma):
    sq = ((A[:, None, :] - C[None, :, :]) ** 2).sum(axis=-1)
    return np.exp(-gamma * sq)


def _direct_mmd2(X, Y, gamma, unbiased):
    """The textbook O(n^2) double sums, written with explicit loops over i != j."""
    n_x, n_y = len(X), len(Y)
    Kxx, Kyy, Kxy = _rbf(X, X, gamma), _rbf(Y, Y, gamma), _rbf(X, Y, gamma)
    if unbiased:
        xx = sum(Kxx[i, j] for i in range(n_x) for j in range(n_x) if i != j) / (n_x * (n_x - 1))
        yy = sum(Kyy[i, j] for i in range(n_y) for j in range(n_y) if i != j) / (n_y * (n_y - 1))
    else:
        xx, yy = Kxx.sum() / n_x**2, Kyy.sum() / n_y**2
    return xx + yy - 2.0 * Kxy.sum() / (n_x * n_y)


@pytest.mark.parametrize("unbiased", [True, False])
def test_mmd_matches_the_direct_formula(unbiased):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 3)), rng.normal(size=(25, 3)) + 0.5
    assert mmd(X, Y, gamma=0.3, unbiased=unbiased) == pytest.approx(
        _direct_mmd2(X, Y, 0.3, unbiased), rel=1e-10
    )
    # default bandwidth: the median heuristic on the pooled sample
    gamma = median_heuristic_gamma(np.vstack([X, Y]), 0)
    assert mmd(X, Y, unbiased=unbiased) == pytest.approx(_direct_mmd2(X, Y, gamma, unbiased), rel=1e-10)


def test_linear_kernel_is_the_squared_mean_gap():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 4)), rng.normal(size=(30, 4)) + [1.0, 0.0, -1.0, 2.0]
    gap = np.sum((X.mean(axis=0) - Y.mean(axis=0)) ** 2)
    assert mmd(X, Y, kernel="linear", unbiased=False) == pytest.approx(gap)


def test_chunked_sums_give_the_same_value(monkeypatch):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(57, 2)), rng.normal(size=(43, 2)) + 0.3
    full = mmd(X, Y)
    monkeypatch.setattr(sktransfer.metrics, "_CHUNK_ENTRIES", 50)  # one row per chunk
    assert mmd(X, Y) == pytest.approx(full, rel=1e-12)


def test_mmd_near_zero_for_one_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    same = mmd(X, rng.normal(size=(300, 2)))
    shifted = mmd(X, rng.normal(size=(300, 2)) + 1.0)
    assert abs(same) < 0.01
    assert shifted > 0.1 > 10 * abs(same)
    # the U-statistic can be negative; the V-statistic of a sample with itself is 0
    assert mmd(X, X, unbiased=False) == pytest.approx(0.0, abs=1e-12)
    assert mmd(X, X) < 0
    assert mmd(X, X + 1.0) == pytest.approx(mmd(X + 1.0, X))


def test_one_dimensional_samples_are_one_feature():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=50), rng.normal(size=40) + 1
    assert mmd(x, y) == pytest.approx(mmd(x[:, None], y[:, None]))


def test_max_samples_subsamples_both_samples():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(3000, 2)), rng.normal(size=(1000, 2)) + 0.5
    estimate = mmd(X, Y, max_samples=400, random_state=0)
    assert estimate == mmd(X, Y, max_samples=400, random_state=0)
    # 400 rows in proportion to the sample sizes: 300 from X, 100 from Y
    rng = np.random.RandomState(0)
    rows_x = np.sort(rng.choice(3000, 300, replace=False))
    rows_y = np.sort(rng.choice(1000, 100, replace=False))
    assert estimate == pytest.approx(mmd(X[rows_x], Y[rows_y]), rel=1e-12)
    assert mmd(X, Y, max_samples=4000) == mmd(X, Y)


# --------------------------------------------------------------------------
# the permutation test


def test_pvalue_is_the_corrected_permutation_count():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(12, 2)), rng.normal(size=(9, 2)) + 0.4
    result = mmd_test(X, Y, n_permutations=50, random_state=3)
    assert isinstance(result, MMDTestResult)
    statistic, pvalue = result
    assert statistic == pytest.approx(mmd(X, Y))
    # redo the permutations one by one, with the same random draws
    pooled = np.vstack([X, Y])
    gamma = median_heuristic_gamma(pooled, 0)
    permutations = np.random.RandomState(3)
    count = 0
    for _ in range(50):
        rows = permutations.permutation(len(pooled))
        in_x = np.zeros(len(pooled), dtype=bool)
        in_x[rows[: len(X)]] = True
        count += _direct_mmd2(pooled[in_x], pooled[~in_x], gamma, True) >= statistic - 1e-12
    assert pvalue == pytest.approx((1 + count) / 51)


def test_pvalue_is_small_under_a_clear_shift():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(80, 3)), rng.normal(size=(80, 3)) + 0.8
    result = mmd_test(X, Y, n_permutations=300, random_state=0)
    assert result.pvalue < 0.01
    assert result.pvalue == pytest.approx(1 / 301)
    assert mmd_test(X, Y, n_permutations=300, random_state=0) == result  # reproducible


def test_level_under_the_null_hypothesis():
    """100 tests of two samples from one distribution: at the 5% level the
    number of rejections is Binomial(100, <= 0.05), since the test is exact."""
    rng = np.random.default_rng(0)
    pvalues = []
    for _ in range(100):
        X, Y = rng.standard_t(5, size=(25, 2)), rng.standard_t(5, size=(20, 2))
        pvalues.append(mmd_test(X, Y, n_permutations=99, random_state=rng.integers(2**31)).pvalue)
    pvalues = np.array(pvalues)
    rejections = int(np.sum(pvalues <= 0.05))
    assert rejections <= binom.ppf(0.999, 100, 0.05)
    # and the p-values are spread over (0, 1], not piled up
    assert 0.35 < np.mean(pvalues) < 0.65
    # power against a modest shift with the same sizes
    power = np.mean([
        mmd_test(rng.normal(size=(25, 2)), rng.normal(size=(20, 2)) + 1.0,
                 n_permutations=99, random_state=seed).pvalue <= 0.05
        for seed in range(20)
    ])
    assert power >= 0.8


def test_large_samples_are_subsampled():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(1500, 2)), rng.normal(size=(900, 2)) + 0.3
    result = mmd_test(X, Y, n_permutations=100, max_samples=300, random_state=0)
    assert result.pvalue < 0.05
    same = mmd_test(X, rng.normal(size=(900, 2)), n_permutations=100, max_samples=300, random_state=0)
    assert same.pvalue > 0.01


# --------------------------------------------------------------------------
# errors, and a light import


@pytest.mark.parametrize(
    "X, Y, kwargs, match",
    [
        (np.zeros((5, 2)), np.zeros((5, 3)), {}, "same features"),
        (np.zeros((0, 2)), np.zeros((5, 2)), {}, "X is empty"),
        (np.zeros((5, 2)), np.zeros((0, 2)), {}, "Y is empty"),
        (np.zeros((1, 2)), np.zeros((5, 2)), {}, "at least 2 rows"),
        (np.zeros((5, 2)), np.zeros((5, 2)), {"kernel": "cosine"}, "kernel"),
        (np.zeros((5, 2)), np.zeros((5, 2)), {"gamma": -1.0}, "gamma"),
        (np.zeros((5, 2)), np.zeros((5, 2)), {"degree": 0}, "degree"),
        (np.zeros((5, 2)), np.zeros((5, 2)), {"max_samples": 2}, "max_samples"),
        (np.full((5, 2), np.nan), np.zeros((5, 2)), {}, "NaN"),
        (np.zeros((5, 2, 2)), np.zeros((5, 2)), {}, "dim"),
    ],
)
@pytest.mark.parametrize("function", [mmd, mmd_test])
def test_errors(function, X, Y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        function(X, Y, **kwargs)


@pytest.mark.parametrize("n_permutations", [0, -5, 2.5, True])
def test_bad_number_of_permutations(n_permutations):
    with pytest.raises(ValueError, match="n_permutations"):
        mmd_test(np.zeros((5, 2)), np.ones((5, 2)), n_permutations=n_permutations)


def test_one_row_is_enough_for_the_biased_statistic():
    assert mmd([[0.0]], [[1.0]], kernel="linear", unbiased=False) == pytest.approx(1.0)


def test_module_imports_only_light_modules():
    """``sktransfer.metrics`` imports numpy and the standard library at module
    level; scikit-learn is imported when a function runs."""
    tree = ast.parse(Path(sktransfer.metrics.__file__).read_text())
    imported = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." if node.level else node.module.split(".")[0])
    assert imported <= {"numbers", "typing", "numpy"}
