"""Density-ratio weightings and the importance-weighted meta-estimators."""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV

from sktransfer import LabeledOnly, make_da_pipeline, stack_domains
from sktransfer.reweighting import (
    KLIEP,
    DomainClassifierWeighting,
    ImportanceWeightedClassifier,
    ImportanceWeightedRegressor,
    NearestNeighborsWeighting,
)


def _gaussian_shift(seed=0, n_source=400, n_target=300):
    """Source N(0, 1), target N(1, 0.7^2): the true ratio is known."""
    rng = np.random.default_rng(seed)
    xs = rng.normal(0.0, 1.0, n_source)
    xt = rng.normal(1.0, 0.7, n_target)
    true_ratio = norm.pdf(xs, 1.0, 0.7) / norm.pdf(xs, 0.0, 1.0)
    X, y, sd = stack_domains(xs[:, None], np.zeros(n_source, dtype=int), xt[:, None])
    return X, y, sd, true_ratio / true_ratio.mean()


@pytest.mark.parametrize(
    "weighting",
    [DomainClassifierWeighting(random_state=0), KLIEP(random_state=0), NearestNeighborsWeighting()],
    ids=lambda w: type(w).__name__,
)
def test_weights_follow_the_true_density_ratio(weighting):
    X, y, sd, true_ratio = _gaussian_shift()
    weights = weighting.fit(X, y).weights_
    np.testing.assert_array_equal(weights[sd < 0], 1.0)
    source_weights = weights[sd > 0]
    assert source_weights.mean() == pytest.approx(1.0)
    assert np.all(source_weights >= 0)
    # rank agreement with the true ratio; nearest-neighbour votes are noisier
    threshold = 0.6 if isinstance(weighting, NearestNeighborsWeighting) else 0.9
    from scipy.stats import spearmanr

    assert spearmanr(source_weights, true_ratio).statistic > threshold


def test_weights_reduce_the_mean_gap():
    X, y, sd, _ = _gaussian_shift()
    for weighting in [DomainClassifierWeighting(random_state=0), KLIEP(random_state=0)]:
        w = weighting.fit(X, y).weights_[sd > 0]
        weighted_mean = np.average(X[sd > 0, 0], weights=w)
        assert abs(weighted_mean - 1.0) < 0.5 * abs(X[sd > 0, 0].mean() - 1.0)


def test_max_weight_clips():
    X, y, _, _ = _gaussian_shift()
    free = DomainClassifierWeighting(random_state=0).fit(X, y).weights_
    clipped = DomainClassifierWeighting(max_weight=2.0, random_state=0).fit(X, y).weights_
    assert free.max() > 3
    assert clipped[:400].max() <= 2.0 / np.minimum(free[:400] / free[:400].mean(), 2.0).mean() + 1e-9
    assert clipped[:400].mean() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "weighting, message",
    [
        (DomainClassifierWeighting(calibration="platt"), "calibration must be"),
        (DomainClassifierWeighting(cv=1), "cv must be an integer of at least 2"),
        (DomainClassifierWeighting(max_weight=0.5), "max_weight must be a number above 1"),
        (KLIEP(gamma=-1), "gamma must be a positive number"),
        (KLIEP(n_centers=0), "n_centers must be a positive integer"),
        (NearestNeighborsWeighting(smoothing=-1), "smoothing must be a non-negative number"),
    ],
)
def test_bad_parameters_are_named(weighting, message):
    X, y, _, _ = _gaussian_shift()
    with pytest.raises(ValueError, match=message):
        weighting.fit(X, y)


def test_importance_weighting_fixes_a_misspecified_regression():
    """Shimodaira's classic: y = -x + x^3, a line fitted on source rows around
    0.5 is wrong around 0; weighting the fit toward the target repairs it."""
    gains = []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        xs, xt = rng.normal(0.5, 0.5, 300), rng.normal(0.0, 0.3, 300)
        ys = -xs + xs**3 + rng.normal(0, 0.1, 300)
        yt = -xt + xt**3 + rng.normal(0, 0.1, 300)
        X, y, _ = stack_domains(xs[:, None], ys, xt[:, None])
        plain = make_da_pipeline(LinearRegression()).fit(X, y)
        weighted = ImportanceWeightedRegressor(LinearRegression(), weighting=KLIEP(random_state=0)).fit(X, y)
        error = [np.mean((m.predict(xt[:, None]) - yt) ** 2) for m in (plain, weighted)]
        gains.append(error[0] / error[1])
    # measured: the target error drops 2x-4x on every seed
    assert min(gains) > 1.5, gains


def test_meta_estimators_in_pipelines_and_grid_search():
    X, y, _, _ = _gaussian_shift()
    y = np.where(y == -1, -1, (X[:, 0] > 0.5).astype(int))
    pipe = make_da_pipeline(ImportanceWeightedClassifier())
    assert type(pipe[-1]) is ImportanceWeightedClassifier  # not wrapped again
    grid = GridSearchCV(
        pipe,
        {"importanceweightedclassifier__weighting": [
            DomainClassifierWeighting(max_weight=5.0, random_state=0), KLIEP(random_state=0)
        ]},
        cv=3,
    )
    grid.fit(X, y)
    clf = grid.best_estimator_[-1]
    assert clf.weights_.shape == (400,)  # refitted on all labelled rows
    assert 1 < clf.effective_sample_size_ < 400
    np.testing.assert_array_equal(clf.classes_, [0, 1])
