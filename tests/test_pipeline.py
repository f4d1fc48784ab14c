"""DA pipelines in plain sklearn tools: GridSearchCV, cross-validation, clone,
pickle, metadata routing, importance weights."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktransfer import (
    CORAL,
    DAPipeline,
    DegenerateWeightsWarning,
    LabeledOnly,
    make_da_pipeline,
    stack_domains,
)


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Remembers what its fit received."""

    def fit(self, X, y, sample_weight=None):
        self.fit_X_, self.fit_y_, self.fit_weight_ = np.asarray(X), np.asarray(y), sample_weight
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


class HalfWeights:
    """A weighting step: weight 0.5 on even rows, 2 on odd rows."""

    def fit_weights(self, X, y=None, sample_domain=None):
        return np.where(np.arange(len(X)) % 2 == 0, 0.5, 2.0)

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    n, d = 120, 4
    means = rng.normal(size=(2, d)) * 2
    ys, yt = rng.integers(0, 2, n), rng.integers(0, 2, n)
    Xs = means[ys] + rng.normal(size=(n, d))
    Xt = (means[yt] + rng.normal(size=(n, d))) * [3.0, 0.5, 2.0, 1.0]
    X, y, sd = stack_domains(Xs, ys, Xt)
    return X, y, sd, yt


def test_final_estimator_sees_labelled_rows_only(data):
    X, y, _, _ = data
    pipe = make_da_pipeline(CORAL(), RecordingClassifier()).fit(X, y)
    inner = pipe[-1].estimator_
    assert len(inner.fit_y_) == 120 and -1 not in inner.fit_y_
    # it learned from re-coloured source rows
    np.testing.assert_allclose(inner.fit_X_, pipe["coral"].transform(X[:120], sample_domain=np.ones(120)))
    assert isinstance(pipe, DAPipeline) and isinstance(pipe[-1], LabeledOnly)
    np.testing.assert_array_equal(pipe.classes_, [0, 1])


def test_plain_sklearn_pipeline_with_labeled_only(data):
    X, y, sd, yt = data
    plain = Pipeline([("coral", CORAL()), ("clf", LabeledOnly(LogisticRegression()))])
    ours = make_da_pipeline(CORAL(), LogisticRegression())
    np.testing.assert_array_equal(plain.fit(X, y).predict(X), ours.fit(X, y).predict(X))
    # sample_domain reaches each step the sklearn way, by step name
    plain.fit(X, y, coral__sample_domain=sd, clf__sample_domain=sd)
    np.testing.assert_array_equal(plain.predict(X), ours.predict(X))


def test_grid_search_and_cross_validation_with_fit_X_y_only(data):
    X, y, _, _ = data
    pipe = make_da_pipeline(StandardScaler(), CORAL(), LogisticRegression())
    grid = GridSearchCV(pipe, {"coral__reg": [0.1, 1.0], "logisticregression__estimator__C": [0.1, 1.0]}, cv=3)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"coral__reg", "logisticregression__estimator__C"}
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.all((scores > 0.5) & (scores <= 1))
    result = cross_validate(pipe, X, y, cv=3, return_estimator=True)
    assert len(result["estimator"]) == 3


def test_grid_search_and_cross_validation_with_sample_domain(data):
    X, y, sd, _ = data
    pipe = make_da_pipeline(CORAL(), LogisticRegression())
    grid = GridSearchCV(pipe, {"coral__reg": [0.1, 1.0]}, cv=3).fit(X, y, sample_domain=sd)
    assert grid.best_estimator_[-1].estimator_.n_features_in_ == 4
    scores = cross_val_score(pipe, X, y, cv=3, params={"sample_domain": sd})
    np.testing.assert_allclose(scores, cross_val_score(pipe, X, y, cv=3))


def test_with_metadata_routing_on(data):
    X, y, sd, _ = data
    reference = make_da_pipeline(CORAL(), LogisticRegression()).fit(X, y).predict(X)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_da_pipeline(StandardScaler(), CORAL(), LogisticRegression())
        pipe.fit(X, y, sample_domain=sd)
        assert pipe.predict(X, sample_domain=sd).shape == (240,)
        plain = Pipeline([("coral", CORAL()), ("clf", LabeledOnly(LogisticRegression()))])
        np.testing.assert_array_equal(plain.fit(X, y, sample_domain=sd).predict(X), reference)
        grid = GridSearchCV(pipe, {"coral__reg": [0.1, 1.0]}, cv=3).fit(X, y, sample_domain=sd)
        assert grid.best_score_ > 0.5
        scores = cross_val_score(pipe, X, y, cv=3, params={"sample_domain": sd})
        assert scores.shape == (3,)
        pipe.fit(X, y)  # and without sample_domain
    assert sklearn.get_config()["enable_metadata_routing"] is False


def test_clone_and_pickle(data):
    X, y, _, _ = data
    pipe = make_da_pipeline(CORAL(reg=0.3), LogisticRegression(C=0.5))
    cloned = clone(pipe)
    assert cloned.get_params()["coral__reg"] == 0.3
    assert cloned.get_params()["logisticregression__estimator__C"] == 0.5
    pipe.fit(X, y)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict(X), pipe.predict(X))
    np.testing.assert_allclose(restored.predict_proba(X), pipe.predict_proba(X))


def test_transform_time_sample_domain_reaches_the_adapter(data):
    X, y, sd, _ = data
    pipe = make_da_pipeline(CORAL(), RecordingClassifier()).fit(X, y)
    coral = pipe["coral"]
    expected = pipe[-1].estimator_.predict(coral.transform(X, sample_domain=sd))
    np.testing.assert_array_equal(pipe.predict(X, sample_domain=sd), expected)
    np.testing.assert_allclose(pipe[:-1].transform(X), X)  # rows are target by default


def test_score_is_on_labelled_source_rows_as_in_fit(data):
    X, y, _, _ = data
    pipe = make_da_pipeline(CORAL(), LogisticRegression()).fit(X, y)
    Xs_adapted = pipe["coral"].transform(X[:120], sample_domain=np.ones(120))
    expected = pipe[-1].estimator_.score(Xs_adapted, y[:120])
    assert pipe.score(X, y) == pytest.approx(expected)


def test_regression_masks_with_nan_and_keeps_minus_one(data):
    X, _, _, _ = data
    rng = np.random.default_rng(1)
    y = rng.normal(size=240)
    y[:10] = -1.0  # a genuine target value
    y[120:] = np.nan
    pipe = make_da_pipeline(CORAL(), Ridge()).fit(X, y)
    assert pipe[-1].estimator_.n_features_in_ == 4
    assert len(pipe["coral"].covariance_source_) == 4
    # the -1.0 rows were fitted on: a Ridge fitted on all 120 labelled rows agrees
    expected = Ridge().fit(pipe["coral"].transform(X[:120], sample_domain=np.ones(120)), y[:120])
    np.testing.assert_allclose(pipe[-1].estimator_.coef_, expected.coef_)


def test_string_labels_with_sample_domain():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = np.array(["cat", "dog"] * 10 + [None] * 20, dtype=object)
    sd = np.r_[np.ones(20), -np.ones(20)].astype(int)
    pipe = make_da_pipeline(CORAL(), LogisticRegression()).fit(X, y, sample_domain=sd)
    assert set(pipe.predict(X)) <= {"cat", "dog"}


def test_importance_weights_reach_the_final_fit(data):
    X, y, _, _ = data
    pipe = make_da_pipeline(CORAL(), HalfWeights(), RecordingClassifier())
    assert [name for name, _ in pipe.steps] == ["coral", "recordingclassifier"]
    pipe.fit(X, y)
    weights = pipe[-1].estimator_.fit_weight_
    np.testing.assert_array_equal(weights, np.where(np.arange(120) % 2 == 0, 0.5, 2.0))
    np.testing.assert_array_equal(pipe[-1].weights_, weights)


def test_degenerate_weights_warn_and_bad_weights_fail(data):
    X, y, _, _ = data

    class OneRowCounts(HalfWeights):
        def fit_weights(self, X, y=None, sample_domain=None):
            return np.where(np.arange(len(X)) == 0, 1000.0, 0.001)

    class Negative(HalfWeights):
        def fit_weights(self, X, y=None, sample_domain=None):
            return -np.ones(len(X))

    with pytest.warns(DegenerateWeightsWarning, match="effective sample size is 1.0 of 120"):
        pipe = make_da_pipeline(OneRowCounts(), RecordingClassifier()).fit(X, y)
    assert pipe[-1].effective_sample_size_ == pytest.approx(1.0, abs=0.01)
    with pytest.raises(ValueError, match="negative"):
        make_da_pipeline(Negative(), RecordingClassifier()).fit(X, y)
    even = make_da_pipeline(HalfWeights(), RecordingClassifier()).fit(X, y)[-1]
    assert even.effective_sample_size_ == pytest.approx(120 * 1.25**2 / 2.125)


def test_weights_reach_the_last_step_of_an_inner_pipeline(data):
    from sklearn.pipeline import make_pipeline

    X, y, _, _ = data
    inner = make_pipeline(StandardScaler(), RecordingClassifier())
    fitted = LabeledOnly(inner, weighting=HalfWeights()).fit(X, y)
    np.testing.assert_array_equal(
        fitted.estimator_[-1].fit_weight_, np.where(np.arange(120) % 2 == 0, 0.5, 2.0)
    )


def test_weighting_step_elsewhere_is_an_error():
    with pytest.raises(ValueError, match="must come just before the final estimator"):
        make_da_pipeline(HalfWeights(), CORAL(), LogisticRegression())
    with pytest.raises(ValueError, match="at least one step"):
        make_da_pipeline()


def test_labelled_target_rows_need_consent(data):
    X, _, sd, yt = data
    X, y, sd = stack_domains(X[:120], data[1][:120], X[120:], yt, mask_target=False)
    pipe = make_da_pipeline(CORAL(), RecordingClassifier())
    with pytest.raises(ValueError, match="marked as target by sample_domain carry labels"):
        pipe.fit(X, y, sample_domain=sd)
    pipe.set_params(recordingclassifier__use_target_labels=True).fit(X, y, sample_domain=sd)
    assert len(pipe[-1].estimator_.fit_y_) == 240  # few-shot: target labels used on purpose


def test_labeled_only_errors():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="no labelled rows"):
        LabeledOnly(DummyClassifier()).fit(X, [-1, -1, -1, -1])
    with pytest.raises(ValueError, match="requires y"):
        LabeledOnly(DummyClassifier()).fit(X, None)
    with pytest.raises(TypeError, match="fit_weights"):
        LabeledOnly(DummyClassifier(), weighting=object()).fit(X, [0, 1, -1, -1])


def test_import_is_light_and_leaves_sklearn_config_alone():
    code = (
        "import sys, sklearn; before = sklearn.get_config(); import sktransfer; "
        "assert 'torch' not in sys.modules, 'torch imported'; "
        "assert sklearn.get_config() == before, 'config changed'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("with_adapter", [False, True])
def test_sample_domain_at_predict_time_with_routing_when_no_step_takes_it(data, with_adapter):
    """With routing on, sklearn refuses metadata that no step consumes; a
    pipeline without an adapter must still take ``sample_domain`` at predict,
    transform and score time (a scorer passes it to every pipeline alike)."""
    X, y, sample_domain, _ = data
    steps = ([CORAL()] if with_adapter else []) + [StandardScaler(), LogisticRegression()]
    plain = make_da_pipeline(*steps).fit(X, y)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_da_pipeline(*steps).fit(X, y, sample_domain=sample_domain)
        for method in ("predict", "predict_proba", "decision_function"):
            np.testing.assert_allclose(
                getattr(pipe, method)(X, sample_domain=sample_domain),
                getattr(plain, method)(X, sample_domain=sample_domain),
            )
        assert pipe.score(X, y, sample_domain=sample_domain) == pytest.approx(
            plain.score(X, y, sample_domain=sample_domain))
        np.testing.assert_allclose(pipe[:-1].transform(X, sample_domain=sample_domain),
                                   plain[:-1].transform(X, sample_domain=sample_domain))
