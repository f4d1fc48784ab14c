"""Hardening of model selection: plain sklearn scorers on stacked data, TargetScorer
refusing masked labels, and random_state in the scorers."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import StandardScaler

from sktransfer import CORAL, make_da_pipeline, stack_domains
from sktransfer.model_selection import (
    ImportanceWeightedScorer,
    LabeledKFold,
    ReverseValidation,
    TargetScorer,
    labeled_scorer,
)


def _stacked(seed=0):
    rng = np.random.default_rng(seed)
    Xs = rng.normal(size=(200, 3))
    Xt = rng.normal(0.5, 1.0, size=(100, 3))
    ys = (Xs[:, 0] + 0.7 * rng.normal(size=200) > 0).astype(int)
    yt = (Xt[:, 0] > 0).astype(int)
    X, y, sd = stack_domains(Xs, ys, Xt)
    return X, y, sd, yt


def _pipe():
    return make_da_pipeline(StandardScaler(), CORAL(), LogisticRegression())


def test_plain_roc_auc_on_stacked_data_is_nan_without_the_package_splitter():
    # the defect as a user meets it: the -1 mask is a third class for sklearn's scorer
    X, y, _, _ = _stacked()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(cross_val_score(_pipe(), X, y, scoring="roc_auc", cv=3)).all()


def test_labeled_kfold_makes_plain_roc_auc_work_and_scores_the_labelled_rows():
    X, y, _, _ = _stacked()
    cv = LabeledKFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(_pipe(), X, y, scoring="roc_auc", cv=cv)
    assert np.all(np.isfinite(scores)) and scores.shape == (3,)
    for score, (train, test) in zip(scores, cv.split(X, y)):
        assert np.all(y[test] != -1)  # validation rows are labelled rows
        assert np.all(np.isin(np.flatnonzero(y == -1), train))  # the target rows train every fold
        model = _pipe().fit(X[train], y[train])
        assert score == pytest.approx(roc_auc_score(y[test], model.predict_proba(X[test])[:, 1]))


def test_labeled_scorer_drops_the_masked_rows_of_any_scorer():
    X, y, _, _ = _stacked()
    scores = cross_val_score(_pipe(), X, y, scoring=labeled_scorer("roc_auc"), cv=3)
    assert np.all(np.isfinite(scores))
    model = _pipe().fit(X, y)
    rows = y != -1
    assert labeled_scorer("roc_auc")(model, X, y) == pytest.approx(
        roc_auc_score(y[rows], model.predict_proba(X[rows])[:, 1]))


def test_target_scorer_refuses_masked_target_labels():
    # before: it scored against the -1 labels and returned 0.0
    X, y, sd, yt = _stacked()
    model = _pipe().fit(X, y)
    with pytest.raises(ValueError, match=r"100 of the 100 target row\(s\).*masked label"):
        TargetScorer()(model, X, y, target_labels=y)
    labels = np.r_[y[:200], yt]
    assert TargetScorer()(model, X, y, target_labels=labels) > 0.8


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("make", [lambda: ImportanceWeightedScorer(random_state=0),
                                  lambda: ReverseValidation(random_state=0)],
                         ids=["ImportanceWeightedScorer", "ReverseValidation"])
def test_scorers_with_random_state_0_give_the_same_score(make):
    X, y, sd, _ = _stacked()
    model = make_da_pipeline(CORAL(), LogisticRegression()).fit(X, y)
    assert make()(model, X, y) == make()(model, X, y)
