"""Label shift: BCTS, target-prior estimation (EM, BBSE, CC), LabelShiftAdjustedClassifier."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from _expected_failures import MASKED_LABEL_REASON
from sktransfer import DomainWarning, make_da_pipeline, stack_domains
from sktransfer.label_shift import (
    LabelShiftAdjustedClassifier,
    LabelShiftWarning,
    TemperatureScaling,
    adjust_proba,
    estimate_target_prior,
)
from sktransfer.model_selection import LabeledKFold, labeled_scorer

ESTIMATORS = [
    LabelShiftAdjustedClassifier(n_bootstrap=5, random_state=0),
    LabelShiftAdjustedClassifier(method="bbse", calibration="ts", cv=3, n_bootstrap=0, random_state=0),
    LabelShiftAdjustedClassifier(LogisticRegression(), calibration=None, n_bootstrap=0, random_state=0),
]


def _expected_failed_checks(estimator):
    return {"check_classifiers_classes": MASKED_LABEL_REASON}


# the checks fit without target rows: the documented fallback warns each time;
# tiny fits with a class of one row warn that nothing can be held out
@pytest.mark.filterwarnings("ignore::sktransfer.DomainWarning")
@pytest.mark.filterwarnings("ignore::sktransfer.label_shift.LabelShiftWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# ------------------------------------------------------------------ data

MEANS = np.array([[0.0, 0.0, 0.0], [1.2, 1.0, 0.0], [0.0, 1.5, 1.2]])


def sample(rng, n, prior):
    """Gaussian classes with a fixed p(x | y): only the prior moves (pure label shift)."""
    prior = np.asarray(prior, dtype=float)
    y = rng.choice(len(prior), size=n, p=prior / prior.sum())
    return MEANS[: len(prior)][y] + rng.normal(size=(n, 3)), y


def stacked(source_prior, target_prior, n_source=3000, n_target=3000, seed=0):
    rng = np.random.default_rng(seed)
    Xs, ys = sample(rng, n_source, source_prior)
    Xt, yt = sample(rng, n_target, target_prior)
    X, y, sd = stack_domains(Xs, ys, Xt)
    return X, y, sd, Xt, yt


# ------------------------------------------------- the prior estimate helps

@pytest.mark.parametrize("target_rate", [0.1, 0.5])
@pytest.mark.parametrize("method", ["em", "bbse"])
def test_prior_estimate_beats_the_source_prior(method, target_rate):
    X, y, _, Xt, yt = stacked([0.7, 0.3], [1 - target_rate, target_rate])
    with warnings.catch_warnings():
        warnings.simplefilter("error", LabelShiftWarning)  # a clean estimate, nothing clipped
        # alpha=None: the estimate itself, whatever the label-shift test says (tested below)
        clf = LabelShiftAdjustedClassifier(method=method, alpha=None, random_state=0).fit(X, y)
    true = yt.mean()
    naive_error = abs(clf.source_prior_[1] - true)
    error = abs(clf.target_prior_[1] - true)
    assert naive_error > 0.15
    assert error < 0.03 and error < naive_error / 5, (error, naive_error)
    low, high = clf.target_prior_interval_[:, 1]
    assert low <= true + 0.01 and high >= true - 0.01  # the interval is of the right size


def test_classify_and_count_is_the_weaker_baseline():
    X, y, _, Xt, yt = stacked([0.5, 0.5], [0.9, 0.1], seed=1)
    clf = LabelShiftAdjustedClassifier(random_state=0).fit(X, y)
    calibrated = clf.predict_proba(Xt, sample_domain=np.ones(len(Xt), int))
    cc = estimate_target_prior(calibrated, method="cc").prior[1]
    assert abs(cc - yt.mean()) > 3 * abs(clf.target_prior_[1] - yt.mean())


def test_multiclass_prior_estimate():
    X, y, _, Xt, yt = stacked([0.6, 0.3, 0.1], [0.1, 0.3, 0.6], seed=2)
    true = np.bincount(yt, minlength=3) / len(yt)
    # BBSE (hard confusion matrix, a rare source class) is the noisier estimator
    for method, tolerance in (("em", 0.04), ("bbse", 0.1)):
        clf = LabelShiftAdjustedClassifier(method=method, random_state=0).fit(X, y)
        assert np.abs(clf.target_prior_ - true).max() < tolerance, (method, clf.target_prior_, true)
        assert np.abs(clf.source_prior_ - true).max() > 0.4
        assert clf.predict_proba(Xt).shape == (len(Xt), 3)


@pytest.mark.parametrize("target_prior", [[0.9, 0.1], [0.5, 0.5]])
def test_adjusted_probabilities_improve_target_log_loss(target_prior):
    X, y, _, Xt, yt = stacked([0.7, 0.3], target_prior, seed=3)
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0)
    clf = LabelShiftAdjustedClassifier(model, alpha=None, random_state=0).fit(X, y)
    source_rows = np.ones(len(Xt), int)
    unadjusted = log_loss(yt, clf.predict_proba(Xt, sample_domain=source_rows))
    raw = log_loss(yt, clf.estimator_.predict_proba(Xt))
    adjusted = log_loss(yt, clf.predict_proba(Xt))
    assert adjusted < unadjusted - 0.01 and adjusted < raw - 0.01, (adjusted, unadjusted, raw)
    assert (clf.predict(Xt) == yt).mean() >= (clf.estimator_.predict(Xt) == yt).mean()
    # the default (with the label-shift test) is never worse than the calibrated source model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelShiftWarning)
        default = LabelShiftAdjustedClassifier(model, random_state=0).fit(X, y)
    assert log_loss(yt, default.predict_proba(Xt)) <= unadjusted + 1e-9


def test_no_shift_changes_little():
    X, y, _, Xt, yt = stacked([0.7, 0.3], [0.7, 0.3], seed=4)
    clf = LabelShiftAdjustedClassifier(random_state=0).fit(X, y)
    assert np.abs(clf.class_weights_ - 1).max() < 0.1
    unadjusted = log_loss(yt, clf.predict_proba(Xt, sample_domain=np.ones(len(Xt), int)))
    assert log_loss(yt, clf.predict_proba(Xt)) < unadjusted + 0.005


def test_few_shot_target_labels_enter_the_prior():
    rng = np.random.default_rng(5)
    Xs, ys = sample(rng, 2000, [0.7, 0.3])
    Xl, yl = sample(rng, 200, [0.2, 0.8])
    X = np.concatenate([Xs, Xl])
    y = np.concatenate([ys, yl])
    sd = np.r_[np.ones(len(Xs), int), -np.ones(len(Xl), int)]
    clf = LabelShiftAdjustedClassifier(random_state=0).fit(X, y, sample_domain=sd)
    # labelled target rows only: the maximum-likelihood prior is their class frequency
    np.testing.assert_allclose(clf.target_prior_, np.bincount(yl) / len(yl), atol=1e-6)
    assert clf.n_target_ == 200
    # with unlabelled target rows too, both count
    Xu, _ = sample(rng, 2000, [0.2, 0.8])
    X2 = np.concatenate([X, Xu])
    y2 = np.concatenate([y, np.full(len(Xu), -1)])
    sd2 = np.r_[sd, -np.ones(len(Xu), int)]
    clf2 = LabelShiftAdjustedClassifier(alpha=None, random_state=0).fit(X2, y2, sample_domain=sd2)
    assert clf2.n_target_ == 2200
    assert abs(clf2.target_prior_[1] - 0.8) < 0.04


# ------------------------------------------------------------ calibration

def test_bcts_fixes_overconfidence_and_matches_class_frequencies():
    rng = np.random.default_rng(0)
    y = (rng.random(2000) < 0.3).astype(int)
    p1 = np.where(y == 1, 0.95, 0.05)
    p1 = np.where(rng.random(2000) < 0.25, 1 - p1, p1)  # a quarter of the confident scores are wrong
    proba = np.column_stack([1 - p1, p1])
    bcts = TemperatureScaling().fit(proba, y)
    calibrated = bcts.transform(proba)
    assert bcts.temperature_ > 1.5
    np.testing.assert_allclose(calibrated.mean(axis=0), np.bincount(y) / len(y), atol=1e-3)
    assert log_loss(y, calibrated) < log_loss(y, proba) - 0.1
    ts = TemperatureScaling(bias=False).fit(proba, y)
    np.testing.assert_array_equal(ts.bias_, [0.0, 0.0])


def test_temperature_scaling_bad_inputs():
    with pytest.raises(ValueError, match="2-d array of class probabilities"):
        TemperatureScaling().fit(np.ones(5), np.zeros(5, int))
    with pytest.raises(ValueError, match="sum to 1"):
        TemperatureScaling().fit(np.full((4, 2), 0.3), np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="class indices"):
        TemperatureScaling().fit(np.full((4, 2), 0.5), np.array([0, 1, 2, 1]))
    with pytest.raises(ValueError, match="reg must be"):
        TemperatureScaling(reg=-1).fit(np.full((4, 2), 0.5), np.array([0, 1, 0, 1]))


# --------------------------------------------------------- the functions

def test_estimate_target_prior_function_and_bbse_clipping():
    rng = np.random.default_rng(0)
    Xs, ys = sample(rng, 2000, [0.5, 0.5])
    Xv, yv = sample(rng, 2000, [0.5, 0.5])
    Xt, yt = sample(rng, 2000, [0.8, 0.2])
    model = LogisticRegression().fit(Xs, ys)
    for method in ("em", "bbse"):
        est = estimate_target_prior(model.predict_proba(Xt), method=method,
                                    proba_source=model.predict_proba(Xv), y_source=yv)
        assert abs(est.prior[1] - yt.mean()) < 0.03, (method, est)
    # target rows that are all predicted class 0: mu = (1, 0), and C w = mu has w[1] < 0
    # as soon as the source has false positives
    Xt0 = Xt[model.predict(Xt) == 0][:50]
    with pytest.warns(LabelShiftWarning, match="negative class weights"):
        est = estimate_target_prior(model.predict_proba(Xt0), method="bbse",
                                    proba_source=model.predict_proba(Xv), y_source=yv,
                                    calibration=None)
    assert est.clipped and est.raw_weights[1] < 0 and est.prior[1] < 1e-5
    np.testing.assert_allclose(est.prior.sum(), 1.0)
    with pytest.raises(ValueError, match="needs proba_source and y_source"):
        estimate_target_prior(model.predict_proba(Xt), method="em")
    with pytest.raises(ValueError, match="method must be one of"):
        estimate_target_prior(model.predict_proba(Xt), method="mle")
    with pytest.raises(ValueError, match="labels not in classes"):
        estimate_target_prior(model.predict_proba(Xt), proba_source=model.predict_proba(Xv),
                              y_source=yv + 5, classes=[0, 1])


def test_adjust_proba():
    np.testing.assert_allclose(adjust_proba([[0.5, 0.5]], [0.5, 0.5], [0.2, 0.8]), [[0.2, 0.8]])
    with pytest.raises(ValueError, match="source_prior must be positive"):
        adjust_proba([[0.5, 0.5]], [0.0, 1.0], [0.5, 0.5])
    with pytest.raises(ValueError, match="target_prior must hold 2"):
        adjust_proba([[0.5, 0.5]], [0.5, 0.5], [0.5])


# ------------------------------------------------------ estimator contract

def test_bad_inputs_are_named():
    X, y, _, _, _ = stacked([0.5, 0.5], [0.5, 0.5], n_source=200, n_target=50)
    with pytest.raises(TypeError, match="must have predict_proba"):
        LabelShiftAdjustedClassifier(LinearSVC()).fit(X, y)
    with pytest.raises(ValueError, match="one class only"):
        LabelShiftAdjustedClassifier().fit(X, np.where(y == 1, 0, y))
    with pytest.raises(ValueError, match="method must be one of"):
        LabelShiftAdjustedClassifier(method="cc").fit(X, y)
    with pytest.raises(ValueError, match="calibration must be"):
        LabelShiftAdjustedClassifier(calibration="isotonic").fit(X, y)
    with pytest.raises(ValueError, match="cv must be an integer"):
        LabelShiftAdjustedClassifier(cv=1).fit(X, y)
    with pytest.raises(ValueError, match="n_bootstrap must be"):
        LabelShiftAdjustedClassifier(n_bootstrap=-1).fit(X, y)
    with pytest.raises(ValueError, match="no source rows"):
        LabelShiftAdjustedClassifier().fit(X, np.full(len(y), -1))
    y_nan = np.where(y == -1, np.nan, y).astype(float)
    with pytest.raises(ValueError, match="marks as source have no label"):
        LabelShiftAdjustedClassifier().fit(X, y_nan, sample_domain=np.ones(len(y), int))
    sd = np.r_[np.ones(200, int), -np.ones(50, int)]
    y_new_class = y.copy()
    y_new_class[-1] = 7
    with pytest.raises(ValueError, match="classes the source lacks"):
        LabelShiftAdjustedClassifier().fit(X, y_new_class, sample_domain=sd)


def test_no_target_rows_fall_back_to_the_calibrated_source_model():
    rng = np.random.default_rng(0)
    Xs, ys = sample(rng, 500, [0.6, 0.4])
    with pytest.warns(DomainWarning, match="no target rows"):
        clf = LabelShiftAdjustedClassifier(random_state=0).fit(Xs, ys)
    np.testing.assert_array_equal(clf.class_weights_, [1.0, 1.0])
    np.testing.assert_allclose(clf.predict_proba(Xs), clf.predict_proba(Xs, sample_domain=np.ones(500, int)))
    assert clf.n_target_ == 0 and clf.target_prior_interval_ is None


def test_random_state_pipeline_grid_search_and_pickle():
    X, y, _, Xt, _ = stacked([0.7, 0.3], [0.3, 0.7], n_source=600, n_target=400, seed=6)
    a = LabelShiftAdjustedClassifier(random_state=3).fit(X, y)
    b = LabelShiftAdjustedClassifier(random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.target_prior_interval_, b.target_prior_interval_)
    np.testing.assert_array_equal(a.predict_proba(Xt), b.predict_proba(Xt))
    again = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(again.predict_proba(Xt), a.predict_proba(Xt))

    pipe = Pipeline([("scale", StandardScaler()),
                     ("clf", LabelShiftAdjustedClassifier(LogisticRegression(), random_state=0))])
    pipe.fit(X, y)
    assert pipe[-1].target_prior_[1] > 0.5
    da = make_da_pipeline(StandardScaler(), LabelShiftAdjustedClassifier(random_state=0)).fit(X, y)
    assert isinstance(da[-1], LabelShiftAdjustedClassifier)  # kept as the final step, not wrapped

    search = GridSearchCV(clone(pipe), {"clf__calibration": ["bcts", None]}, cv=LabeledKFold(3),
                          scoring=labeled_scorer("neg_log_loss")).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_refit_prior_on_a_new_target_batch():
    X, y, _, _, _ = stacked([0.5, 0.5], [0.5, 0.5], seed=7)
    clf = LabelShiftAdjustedClassifier(random_state=0).fit(X, y)
    coef = clf.estimator_[-1].coef_.copy()
    rng = np.random.default_rng(8)
    Xnew, ynew = sample(rng, 3000, [0.85, 0.15])
    clf.refit_prior(Xnew)
    assert abs(clf.target_prior_[1] - ynew.mean()) < 0.03
    np.testing.assert_array_equal(clf.estimator_[-1].coef_, coef)  # the model is kept
    clf.set_params(method="bbse").refit_prior(Xnew)
    assert clf.n_iter_ == 0 and abs(clf.target_prior_[1] - ynew.mean()) < 0.04


def test_covariate_shift_is_detected_and_not_adjusted():
    """p(y | x) fixed, x moves (a weak signal, as in credit data): EM reads the rise of the
    mean score as a far larger rise of the prior; the label-shift test must catch it."""
    rng = np.random.default_rng(9)

    def draw(n, centre):
        X = rng.normal(centre, 1.0, size=(n, 2))
        y = (rng.random(n) < 1 / (1 + np.exp(-(0.8 * X[:, 0] - 1.5)))).astype(int)
        return X, y

    Xs, ys = draw(3000, 0.0)
    Xt, yt = draw(3000, [1.0, 0.0])
    X, y, _ = stack_domains(Xs, ys, Xt)
    with pytest.warns(LabelShiftWarning, match="not a label shift"):
        safe = LabelShiftAdjustedClassifier(n_bootstrap=0, random_state=0).fit(X, y)
    assert safe.fallback_ and safe.label_shift_pvalue_ < 1e-6
    np.testing.assert_array_equal(safe.class_weights_, [1.0, 1.0])
    always = LabelShiftAdjustedClassifier(alpha=None, n_bootstrap=0, random_state=0).fit(X, y)
    assert not always.fallback_ and always.label_shift_pvalue_ is None
    assert always.target_prior_[1] > 0.9  # EM's runaway estimate (the truth is about 0.35)
    assert log_loss(yt, safe.predict_proba(Xt)) < log_loss(yt, always.predict_proba(Xt)) - 1
    # the fallback's prior (the mean calibrated probability) is right under covariate shift
    assert abs(safe.target_prior_[1] - yt.mean()) < 0.02


def test_the_label_shift_test_passes_a_pure_label_shift():
    pvalues = []
    for seed in range(5):
        X, y, _, _, _ = stacked([0.6, 0.4], [0.2, 0.8], n_source=1500, n_target=1500, seed=20 + seed)
        clf = LabelShiftAdjustedClassifier(n_bootstrap=0, random_state=0).fit(X, y)
        pvalues.append(clf.label_shift_pvalue_)
    assert sum(p < 0.05 for p in pvalues) <= 1, pvalues
