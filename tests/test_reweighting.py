"""Density-ratio weightings and the importance-weighted meta-estimators."""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV

from sktransfer import make_da_pipeline, stack_domains
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


def _cubic_shift(seed):
    """Shimodaira's toy: y = -x + x^3, source around 0.5, target around 0."""
    rng = np.random.default_rng(seed)
    xs, xt = rng.normal(0.5, 0.5, 300), rng.normal(0.0, 0.3, 300)
    ys = -xs + xs**3 + rng.normal(0, 0.1, 300)
    yt = -xt + xt**3 + rng.normal(0, 0.1, 300)
    return xs, ys, xt, yt


def test_auto_flattening_keeps_weights_that_remove_a_bias():
    for seed in range(3):
        xs, ys, xt, _ = _cubic_shift(seed)
        X, y, _ = stack_domains(xs[:, None], ys, xt[:, None])
        model = ImportanceWeightedRegressor(
            LinearRegression(), weighting=KLIEP(random_state=0), random_state=0
        ).fit(X, y)
        # the line is misspecified: the weighted validation loss favours weighting
        assert model.flattening_ >= 0.5, model.flattening_scores_
        assert model.flattening_scores_[model.flattening_] < model.flattening_scores_[0.0]


def test_auto_flattening_drops_weights_that_only_add_variance():
    """A well-specified line under a strong shift: the weights remove no bias,
    they only cost variance (few effective rows), so they are flattened."""
    errors = {"auto": [], "full": []}
    exponents = []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        xs, xt = rng.normal(0.0, 1.0, 150), rng.normal(2.0, 0.5, 300)
        ys = 2 * xs + rng.normal(0, 1.0, 150)
        yt = 2 * xt + rng.normal(0, 1.0, 300)
        X, y, _ = stack_domains(xs[:, None], ys, xt[:, None])
        for name, flattening in [("auto", "auto"), ("full", 1.0)]:
            model = ImportanceWeightedRegressor(
                LinearRegression(), weighting=DomainClassifierWeighting(random_state=0),
                flattening=flattening, random_state=0,
            ).fit(X, y)
            errors[name].append(np.mean((model.predict(xt[:, None]) - yt) ** 2))
            if name == "auto":
                exponents.append(model.flattening_)
    assert np.median(exponents) <= 0.5, exponents
    assert np.mean(errors["auto"]) < np.mean(errors["full"]), errors


def test_fixed_flattening_is_applied_as_given():
    xs, ys, xt, _ = _cubic_shift(0)
    X, y, sd = stack_domains(xs[:, None], ys, xt[:, None])
    weighting = KLIEP(random_state=0)
    raw = weighting.fit_weights(X, y)[sd > 0]
    plain = LinearRegression().fit(xs[:, None], ys)
    none = ImportanceWeightedRegressor(LinearRegression(), weighting=weighting, flattening=0).fit(X, y)
    np.testing.assert_allclose(none.weights_, 1.0)
    np.testing.assert_allclose(none.estimator_.coef_, plain.coef_)
    full = ImportanceWeightedRegressor(LinearRegression(), weighting=weighting, flattening=1.0).fit(X, y)
    np.testing.assert_allclose(full.weights_, raw / raw.mean())
    half = ImportanceWeightedRegressor(LinearRegression(), weighting=weighting, flattening=0.5).fit(X, y)
    np.testing.assert_allclose(half.weights_, np.sqrt(raw) / np.sqrt(raw).mean())
    assert full.flattening_scores_ is None and full.flattening_ == 1.0


@pytest.mark.parametrize(
    "params, message",
    [
        ({"flattening": 2.0}, "flattening must be 'auto' or a number in \\[0, 1\\]"),
        ({"flattening": "iwcv"}, "flattening must be 'auto'"),
        ({"flattening": True}, "flattening must be 'auto'"),
        ({"cv": 1}, "cv must be an integer of at least 2"),
    ],
)
def test_bad_flattening_parameters_are_named(params, message):
    X, y, _, _ = _gaussian_shift()
    y = np.where(y == -1, -1, (X[:, 0] > 0.5).astype(int))
    with pytest.raises(ValueError, match=message):
        ImportanceWeightedClassifier(**params).fit(X, y)


def test_auto_flattening_with_user_sample_weight_and_inner_pipeline():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, sd, _ = _gaussian_shift()
    y = np.where(y == -1, -1, (X[:, 0] > 0.5).astype(int))
    user = np.where(np.arange(len(y)) % 2 == 0, 2.0, 1.0)
    clf = ImportanceWeightedClassifier(
        make_pipeline(StandardScaler(), LogisticRegression()), random_state=0
    ).fit(X, y, logisticregression__sample_weight=user)
    assert set(clf.flattening_scores_) == {0.0, 0.25, 0.5, 0.75, 1.0}
    flattened = clf.weighting_.weights_[sd > 0] ** clf.flattening_
    np.testing.assert_allclose(clf.weights_, flattened / flattened.mean() * user[sd > 0])


@pytest.mark.parametrize("library, make", [
    ("lightgbm", lambda lib: lib.LGBMClassifier(n_estimators=20, min_child_samples=5, verbose=-1,
                                                 random_state=0, n_jobs=1)),
    ("xgboost", lambda lib: lib.XGBClassifier(n_estimators=20, max_depth=3, random_state=0, n_jobs=1)),
])
def test_gradient_boosting_libraries_get_the_weights(library, make):
    lib = pytest.importorskip(library)
    X, y, sd, _ = _gaussian_shift()
    y = np.where(y == -1, -1, (X[:, 0] > 0.5).astype(int))
    clf = ImportanceWeightedClassifier(make(lib), flattening=1.0).fit(X, y)
    direct = make(lib).fit(X[sd > 0], y[sd > 0], sample_weight=clf.weights_)
    unweighted = make(lib).fit(X[sd > 0], y[sd > 0])
    proba = clf.predict_proba(X[sd < 0])[:, 1]
    np.testing.assert_allclose(proba, direct.predict_proba(X[sd < 0])[:, 1])
    assert not np.allclose(proba, unweighted.predict_proba(X[sd < 0])[:, 1])  # the weights mattered
