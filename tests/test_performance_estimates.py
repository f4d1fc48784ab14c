"""Target-score estimates with intervals (estimate_target_score's methods) and
prediction-powered intervals."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from sktransfer import stack_domains
from sktransfer.diagnostics import (
    PredictionPoweredInterval,
    TargetScoreEstimate,
    estimate_target_score,
    prediction_powered_interval,
)
from sktransfer.diagnostics._confidence import RankedScores, hard_auc, soft_auc


def _logistic_law(rng, n, mean):
    """A law a logistic regression fits exactly: its probabilities are
    calibrated on any domain, so covariate shift leaves them calibrated."""
    x = rng.normal(mean, 1.0, size=(n, 2))
    logit = 1.5 * x[:, 0] + x[:, 1] - 0.5
    return x, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def _shifted_problem(seed, shift=(1.0, 0.5), n_source=2000, n_target=2000):
    rng = np.random.default_rng(seed)
    Xs, ys = _logistic_law(rng, n_source, [0.0, 0.0])
    Xt, yt = _logistic_law(rng, n_target, shift)
    half = n_source // 2
    model = LogisticRegression().fit(Xs[:half], ys[:half])
    X, y, sd = stack_domains(Xs[half:], ys[half:], Xt)
    return model, X, y, sd, Xt, yt


def test_weighted_auc_matches_sklearn_and_soft_labels_are_the_expected_auc():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 10, 300) / 10  # ties
    labels = rng.integers(0, 2, 300)
    weights = rng.random(300)
    ranked = RankedScores(scores)
    assert hard_auc(ranked, labels, weights) == pytest.approx(roc_auc_score(labels, scores, sample_weight=weights))
    # soft labels: the mean AUC over label draws (ratio of expectations, within noise)
    p = rng.random(300)
    draws = [roc_auc_score(d, scores) for d in (rng.random((400, 300)) < p).astype(int)]
    assert soft_auc(ranked, p) == pytest.approx(np.mean(draws), abs=0.005)


def test_result_keeps_its_fields_and_adds_the_interval_and_trust():
    model, X, y, _, _, _ = _shifted_problem(0)
    result = estimate_target_score(model, X, y, random_state=0)
    assert isinstance(result, TargetScoreEstimate)
    assert result._fields == ("score", "source_score", "effective_sample_size", "flattening", "method",
                              "ci_low", "ci_high", "confidence", "trustworthy", "trust_note")
    assert result.method == "importance_weighted" and result.confidence == 0.9
    assert result.ci_low < result.score < result.ci_high
    assert result.trustworthy is True and result.trust_note == ""
    assert result == estimate_target_score(model, X, y, random_state=0)  # seeded: the same


@pytest.mark.parametrize("scoring", ["roc_auc", "accuracy", "neg_log_loss"])
def test_confidence_estimate_is_close_to_the_target_score_of_a_calibrated_model(scoring):
    """Covariate shift with a well-specified model: the confidence-based
    estimate sees the change of the score; the naive source score does not."""
    from sklearn.metrics import accuracy_score, log_loss

    truth = {"roc_auc": lambda m, X, y: roc_auc_score(y, m.predict_proba(X)[:, 1]),
             "accuracy": lambda m, X, y: accuracy_score(y, m.predict(X)),
             "neg_log_loss": lambda m, X, y: -log_loss(y, m.predict_proba(X))}[scoring]
    errors, naive = [], []
    for seed in range(3):
        model, X, y, _, Xt, yt = _shifted_problem(seed, shift=(1.5, 0.5), n_target=4000)
        result = estimate_target_score(model, X, y, scoring=scoring, method="confidence",
                                       n_bootstrap=0, random_state=0)
        true = truth(model, Xt, yt)
        errors.append(abs(result.score - true))
        naive.append(abs(result.source_score - true))
    assert np.mean(errors) < 0.015
    assert np.mean(errors) < 0.5 * np.mean(naive)


def test_combined_keeps_the_weighted_estimate_when_the_model_is_misspecified():
    """A linear model of a non-linear law: calibration on the source does not
    transfer, the confidence-based estimate is as wrong as the naive one, and
    the combined estimate (the weighted one with it as a control variate)
    stays with the weighted one."""
    errors = {"importance_weighted": [], "confidence": [], "combined": []}
    for seed in range(3):
        rng = np.random.default_rng(seed)

        def draw(n, mean, rng=rng):
            x = rng.normal(mean, 1.0, size=(n, 2))
            logit = 2.5 * np.sin(1.5 * x[:, 0]) + x[:, 1]
            return x, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)

        Xs, ys = draw(1500, [0, 0])
        Xt, yt = draw(800, [1.2, 0])
        model = LogisticRegression().fit(Xs[:700], ys[:700])
        X, y, _ = stack_domains(Xs[700:], ys[700:], Xt)
        true = roc_auc_score(yt, model.predict_proba(Xt)[:, 1])
        for method in errors:
            result = estimate_target_score(model, X, y, method=method, min_effective_fraction=None,
                                           n_bootstrap=100, random_state=0)
            errors[method].append(abs(result.score - true))
    mean = {k: np.mean(v) for k, v in errors.items()}
    assert mean["confidence"] > 0.2
    assert mean["combined"] < 0.1 and mean["importance_weighted"] < 0.1


def test_trust_flag_fires_on_nearly_disjoint_domains_only():
    model, X, y, _, _, _ = _shifted_problem(0, shift=(0.3, 0.0))
    assert estimate_target_score(model, X, y, random_state=0, n_bootstrap=0,
                                 method="importance_weighted").trustworthy
    model, X, y, _, _, _ = _shifted_problem(0, shift=(5.0, 0.0))
    result = estimate_target_score(model, X, y, random_state=0, n_bootstrap=50)
    assert result.trustworthy is False
    assert result.trust_note.startswith("The domains barely overlap") and "domain AUC" in result.trust_note


@pytest.mark.parametrize("method", ["importance_weighted", "confidence", "combined"])
def test_interval_covers_the_truth_on_a_calibrated_shift(method):
    """Over seeds, the 90% intervals of a well-specified model under mild shift
    hold the true target AUC most of the time (not a timing test: 10 seeds)."""
    hits = 0
    for seed in range(10):
        model, X, y, _, Xt, yt = _shifted_problem(seed, shift=(0.5, 0.0), n_target=1000)
        result = estimate_target_score(model, X, y, method=method, n_bootstrap=100, random_state=seed)
        hits += result.ci_low <= roc_auc_score(yt, model.predict_proba(Xt)[:, 1]) <= result.ci_high
    assert hits >= 7


def test_estimate_bad_inputs():
    model, X, y, _, _, _ = _shifted_problem(0, n_source=200, n_target=100)
    with pytest.raises(ValueError, match="method must be one of"):
        estimate_target_score(model, X, y, method="cbpe")
    with pytest.raises(ValueError, match="confidence must be a number in"):
        estimate_target_score(model, X, y, confidence=90)
    with pytest.raises(ValueError, match="n_bootstrap must be an integer of at least 20"):
        estimate_target_score(model, X, y, n_bootstrap=5)
    with pytest.raises(ValueError, match="needs n_bootstrap >= 20"):
        estimate_target_score(model, X, y, method="combined", n_bootstrap=0)
    no_interval = estimate_target_score(model, X, y, n_bootstrap=0, random_state=0)
    assert np.isnan(no_interval.ci_low) and np.isnan(no_interval.ci_high)
    with pytest.raises(ValueError, match="calibration must be one of"):
        estimate_target_score(model, X, y, calibration="beta")
    rng = np.random.default_rng(0)
    X3 = rng.normal(size=(90, 2))
    y3 = np.r_[np.arange(60) % 3, [-1] * 30]
    three = LogisticRegression().fit(X3[:60], y3[:60])
    with pytest.raises(ValueError, match="needs a binary classifier"):
        estimate_target_score(three, X3, y3, method="confidence", scoring="accuracy")
    # the weighted method still takes several classes
    assert estimate_target_score(three, X3, y3, method="importance_weighted", scoring="accuracy",
                                 random_state=0).ci_low <= 1


# ---------------------------------------------------------------- PPI

def _ppi_problem(rng, n_labelled, n_unlabelled=3000):
    X = rng.normal(size=(n_labelled + n_unlabelled, 2))
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-(2 * X[:, 0] - 1)))).astype(int)
    y_masked = np.r_[y[:n_labelled], [-1] * n_unlabelled]
    return X, y, y_masked, -np.ones(len(X), dtype=int)


@pytest.fixture(scope="module")
def ppi_model():
    rng = np.random.default_rng(123)
    X = rng.normal(size=(500, 2))
    y = (rng.random(500) < 1 / (1 + np.exp(-(2 * X[:, 0] - 1)))).astype(int)
    return LogisticRegression().fit(X, y)


@pytest.mark.parametrize("quantity, max_ratio", [("positive_rate", 0.9), ("accuracy", 0.97)])
def test_ppi_mean_coverage_is_nominal_and_narrower_than_classical(ppi_model, quantity, max_ratio):
    """200 simulated problems, 100 labelled rows each: the PPI++ intervals of
    the mean hold the population value about 90% of the time and are narrower
    than the classical ones (by less for accuracy: the probability of the
    predicted class predicts a row's correctness less well than the positive
    probability predicts its label; measured mean width ratios 0.80 and 0.93)."""
    rng = np.random.default_rng(0)
    # the population value: the same law on a large sample
    X_big, y_big, _, _ = _ppi_problem(np.random.default_rng(99), 0, 200_000)
    truth = y_big.mean() if quantity == "positive_rate" else np.mean(ppi_model.predict(X_big) == y_big)
    hits, classical_hits, ratio = 0, 0, []
    for _ in range(200):
        X, _, y_masked, sd = _ppi_problem(rng, 100)
        r = prediction_powered_interval(ppi_model, X, y_masked, sd, quantity=quantity)
        hits += r.ci_low <= truth <= r.ci_high
        classical_hits += r.classical_ci_low <= truth <= r.classical_ci_high
        ratio.append((r.ci_high - r.ci_low) / (r.classical_ci_high - r.classical_ci_low))
    assert 0.84 <= hits / 200 <= 0.96
    assert 0.84 <= classical_hits / 200 <= 0.96
    assert np.mean(ratio) < max_ratio


def test_ppi_auc_coverage_and_width(ppi_model):
    rng = np.random.default_rng(1)
    X_big, y_big, _, _ = _ppi_problem(np.random.default_rng(98), 0, 200_000)
    truth = roc_auc_score(y_big, ppi_model.predict_proba(X_big)[:, 1])
    hits, ratio = 0, []
    for seed in range(60):
        X, _, y_masked, sd = _ppi_problem(rng, 100, 2000)
        r = prediction_powered_interval(ppi_model, X, y_masked, sd, quantity="roc_auc", n_bootstrap=100,
                                        random_state=seed)
        hits += r.ci_low <= truth <= r.ci_high
        ratio.append((r.ci_high - r.ci_low) / (r.classical_ci_high - r.classical_ci_low))
    assert hits / 60 >= 0.8
    assert np.mean(ratio) < 0.97  # measured: 0.94


def test_ppi_result_and_bad_inputs(ppi_model):
    rng = np.random.default_rng(0)
    X, _, y_masked, sd = _ppi_problem(rng, 50, 200)
    r = prediction_powered_interval(ppi_model, X, y_masked, sd, quantity="default_rate")
    assert isinstance(r, PredictionPoweredInterval)
    assert (r.n_labelled, r.n_unlabelled, r.quantity) == (50, 200, "default_rate")
    assert 0 <= r.lam <= 1 and r.ci_low < r.estimate < r.ci_high
    with pytest.raises(ValueError, match="needs labelled target rows"):
        prediction_powered_interval(ppi_model, X, y_masked)  # no sample_domain: labelled rows are source
    with pytest.raises(ValueError, match="quantity must be one of"):
        prediction_powered_interval(ppi_model, X, y_masked, sd, quantity="f1")
    with pytest.raises(ValueError, match="needs unlabelled target rows"):
        prediction_powered_interval(ppi_model, X[:50], y_masked[:50], sd[:50])
    with pytest.raises(ValueError, match="confidence must be a number in"):
        prediction_powered_interval(ppi_model, X, y_masked, sd, confidence=1.0)
    one_class = y_masked.copy()
    one_class[:50] = 1
    with pytest.raises(ValueError, match="needs both classes"):
        prediction_powered_interval(ppi_model, X, one_class, sd, quantity="roc_auc")
    source = np.r_[np.ones(10, dtype=int), sd[10:]]  # 10 labelled rows marked source: ignored
    assert prediction_powered_interval(ppi_model, X, y_masked, source).n_labelled == 40
