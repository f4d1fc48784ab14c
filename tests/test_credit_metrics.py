"""Gini, KS and the scorers that skip unlabelled rows."""

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV

from sktransfer import make_da_pipeline, stack_domains
from sktransfer.metrics import gini_score, gini_scorer, ks_score, ks_scorer, roc_auc_scorer


@pytest.fixture
def scores():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    return y, y * 0.8 + rng.normal(size=500)


def test_gini_is_two_auc_minus_one(scores):
    y, s = scores
    assert gini_score(y, s) == pytest.approx(2 * roc_auc_score(y, s) - 1)
    assert gini_score(y, np.column_stack([-s, s])) == pytest.approx(gini_score(y, s))


def test_ks_matches_the_two_sample_statistic(scores):
    y, s = scores
    assert ks_score(y, s) == pytest.approx(ks_2samp(s[y == 1], s[y == 0]).statistic)
    assert ks_score([0, 1], [0.2, 0.9]) == 1.0


def test_credit_metrics_need_binary_outcomes():
    with pytest.raises(ValueError, match="binary outcomes"):
        gini_score([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="3 entries but y_score has 2"):
        ks_score([0, 1, 1], [0.1, 0.2])


def test_scorers_skip_masked_rows_in_grid_search():
    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(300, 3))
    ys = (Xs[:, 0] + rng.normal(scale=0.5, size=300) > 0).astype(int)
    X, y, _ = stack_domains(Xs, ys, rng.normal(size=(200, 3)) + 1)
    pipe = make_da_pipeline(LogisticRegression())
    grid = GridSearchCV(
        pipe, {"logisticregression__estimator__C": [0.01, 1.0]}, cv=3,
        scoring={"gini": gini_scorer, "ks": ks_scorer, "auc": roc_auc_scorer}, refit="gini",
    ).fit(X, y)
    gini = grid.cv_results_["mean_test_gini"]
    auc = grid.cv_results_["mean_test_auc"]
    np.testing.assert_allclose(gini, 2 * auc - 1)
    assert np.all(gini > 0.5)
    # on labelled rows only, the scorer equals the metric on the source rows
    fitted = pipe.fit(X, y)
    expected = gini_score(ys, fitted.predict_proba(Xs)[:, 1])
    assert gini_scorer(fitted, X, y) == pytest.approx(expected)
    with pytest.raises(ValueError, match="no labelled rows"):
        gini_scorer(fitted, X[300:], y[300:])
