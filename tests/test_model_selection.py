"""Model selection without target labels: the DA scorers and splitters, alone
and inside GridSearchCV, with metadata routing on and off."""

import warnings

import numpy as np
import pytest
import sklearn
from scipy.stats import spearmanr
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from sktransfer._weights import EXPONENT_TOL, flatten_weights
from sktransfer import CORAL, DomainClassifierWeighting, LabeledOnly, make_da_pipeline, stack_domains
from sktransfer.datasets import make_shifted_blobs
from sktransfer.model_selection import (
    DeepEmbeddedValidation,
    DomainShuffleSplit,
    ImportanceWeightedScorer,
    LeaveOneDomainOut,
    PredictionEntropyScorer,
    ReverseValidation,
    SoftNeighborhoodDensity,
    TargetScorer,
)
from sktransfer.model_selection import _scorers

UNSUPERVISED = [
    ImportanceWeightedScorer(),
    ImportanceWeightedScorer(min_effective_fraction=None),
    ImportanceWeightedScorer(min_effective_fraction=0.5, space="embedding"),
    PredictionEntropyScorer(),
    SoftNeighborhoodDensity(),
    DeepEmbeddedValidation(),
    ReverseValidation(),
]
NEEDS_SOURCE = [
    ImportanceWeightedScorer(),
    ImportanceWeightedScorer(min_effective_fraction=0.5, space="embedding"),
    DeepEmbeddedValidation(),
    ReverseValidation(),
]
NEEDS_PROBA = [PredictionEntropyScorer(), SoftNeighborhoodDensity(), DeepEmbeddedValidation()]


@pytest.fixture(scope="module")
def blobs():
    Xs, ys, Xt, yt = make_shifted_blobs(150, n_features=3, severity=0.5, random_state=0)
    X, y, sample_domain = stack_domains(Xs, ys, Xt)
    return X, y, sample_domain, np.concatenate([ys, yt])


@pytest.fixture(scope="module")
def fitted(blobs):
    """A CORAL pipeline fitted on one DomainShuffleSplit training fold, and the validation rows."""
    X, y, sample_domain, labels = blobs
    train, val = next(DomainShuffleSplit(1, test_size=0.4, random_state=0).split(X, y))
    pipe = make_da_pipeline(CORAL(), LogisticRegression()).fit(X[train], y[train])
    return pipe, X[val], y[val], sample_domain[val], labels[val]


# ---------------------------------------------------------------- DomainShuffleSplit

def test_domain_shuffle_split_keeps_both_domains_without_overlap(blobs):
    X, y, _, _ = blobs
    splits = list(DomainShuffleSplit(n_splits=4, test_size=0.25, random_state=0).split(X, y))
    assert len(splits) == 4
    for train, test in splits:
        assert np.intersect1d(train, test).size == 0
        assert np.union1d(train, test).size == len(y)
        for rows in (train, test):
            assert np.any(y[rows] == -1) and np.any(y[rows] != -1)
        # each domain contributes test_size of its rows
        assert np.sum(y[test] == -1) == np.ceil(0.25 * np.sum(y == -1))
    assert not all(np.array_equal(splits[0][1], s[1]) for s in splits[1:])


def test_domain_shuffle_split_stratifies_the_source_labels():
    X = np.zeros((130, 1))
    y = np.r_[np.zeros(80, int), np.ones(20, int), -np.ones(30, int)]
    for train, test in DomainShuffleSplit(n_splits=5, test_size=0.2, random_state=1).split(X, y):
        assert np.sum(y[test] == 0) == 16 and np.sum(y[test] == 1) == 4
        assert np.sum(y[test] == -1) == 6


def test_domain_shuffle_split_is_reproducible_with_an_int_seed(blobs):
    X, y, _, _ = blobs
    first = [test for _, test in DomainShuffleSplit(3, random_state=7).split(X, y)]
    again = [test for _, test in DomainShuffleSplit(3, random_state=7).split(X, y)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert DomainShuffleSplit(3).get_n_splits() == 3


def test_domain_shuffle_split_reads_domains_from_groups_and_sample_domain():
    # fully labelled y (evaluation data): only groups tells the target rows apart
    X = np.zeros((40, 1))
    y = np.tile([0, 1], 20)
    domains = np.r_[np.ones(20, int), np.full(10, 2), -np.ones(10, int)]
    for keyword in ("groups", "sample_domain"):
        for train, test in DomainShuffleSplit(2, test_size=0.3, random_state=0).split(
                X, y, **{keyword: domains}):
            for rows in (train, test):
                assert set(np.unique(domains[rows])) == {-1, 1, 2}


def test_domain_shuffle_split_regression_target_is_not_stratified():
    rng = np.random.default_rng(0)
    y = np.r_[rng.normal(size=30), np.full(10, np.nan)]
    train, test = next(DomainShuffleSplit(1, test_size=0.2, random_state=0).split(np.zeros((40, 1)), y))
    assert np.isnan(y[test]).sum() == 2 and (~np.isnan(y[test])).sum() == 6


@pytest.mark.parametrize("params, message", [
    ({"n_splits": 0}, "n_splits must be a positive integer"),
    ({"n_splits": 2.5}, "n_splits must be a positive integer"),
    ({"test_size": 1.0}, "test_size must be a fraction"),
    ({"test_size": 0}, "test_size must be a fraction"),
    ({"test_size": "0.2"}, "test_size must be a fraction"),
])
def test_domain_shuffle_split_rejects_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        list(DomainShuffleSplit(**params).split(np.zeros((6, 1)), [0, 1, 0, 1, -1, -1]))


def test_domain_shuffle_split_errors_name_the_problem():
    X = np.zeros((6, 1))
    with pytest.raises(ValueError, match="no target rows"):
        list(DomainShuffleSplit().split(X, [0, 1, 0, 1, 0, 1]))
    with pytest.raises(ValueError, match="no source rows"):
        list(DomainShuffleSplit().split(X, [-1] * 6))
    with pytest.raises(ValueError, match="domain -1 has 1 row"):
        list(DomainShuffleSplit().split(X, [0, 1, 0, 1, 0, -1]))
    with pytest.raises(ValueError, match="which rows are target rows"):
        list(DomainShuffleSplit().split(X))
    with pytest.raises(ValueError, match="cannot split the rows of domain 1"):
        list(DomainShuffleSplit().split(np.zeros((7, 1)), [0, 0, 0, 0, 1, -1, -1]))
    with pytest.raises(ValueError, match="groups and sample_domain were both given and differ"):
        list(DomainShuffleSplit().split(X, None, groups=[1, 1, 1, -1, -1, -1],
                                        sample_domain=[1, 1, -1, -1, -1, -1]))
    with pytest.raises(ValueError, match="0 is not a domain id"):
        list(DomainShuffleSplit().split(X, None, groups=[1, 1, 0, -1, -1, -1]))


# ---------------------------------------------------------------- LeaveOneDomainOut

def test_leave_one_domain_out_holds_out_each_source_domain():
    domains = np.array([1, 1, 1, 2, 2, 3, 3, 3, -1, -1])
    X = np.zeros((10, 1))
    splitter = LeaveOneDomainOut()
    assert splitter.get_n_splits(X, groups=domains) == 3
    seen = []
    for train, test in splitter.split(X, groups=domains):
        held_out = set(np.unique(domains[test])) - {-1}
        assert len(held_out) == 1
        seen += held_out
        assert not set(np.unique(domains[train])) & held_out
        # the unlabelled target rows are in both, and are the only shared rows
        assert set(np.intersect1d(train, test)) == set(np.flatnonzero(domains == -1))
    assert sorted(seen) == [1, 2, 3]
    for train, test in LeaveOneDomainOut(target_in_validation=False).split(X, sample_domain=domains):
        assert np.intersect1d(train, test).size == 0 and np.all(domains[test] > 0)


def test_leave_one_domain_out_errors_name_the_problem():
    X = np.zeros((4, 1))
    with pytest.raises(ValueError, match="needs the domain of each row"):
        list(LeaveOneDomainOut().split(X, [0, 1, -1, -1]))
    with pytest.raises(ValueError, match="at least 2 source domains"):
        list(LeaveOneDomainOut().split(X, groups=[1, 1, -1, -1]))
    with pytest.raises(ValueError, match="target_in_validation must be True or False"):
        list(LeaveOneDomainOut(target_in_validation="yes").split(X, groups=[1, 2, -1, -1]))


# ---------------------------------------------------------------- the scorers, one by one

def _feature_subset_task(seed, n=500):
    """Covariate shift where the useful feature changes with x2: source rows
    mostly have x2 < 0 (label = sign of x0), target rows x2 > 0 (label = sign of x1)."""
    rng = np.random.default_rng(seed)

    def draw(centre):
        X = rng.normal(size=(n, 3))
        X[:, 2] = rng.normal(centre, 0.7, n)
        return X, np.where(X[:, 2] < 0, X[:, 0] > 0, X[:, 1] > 0).astype(int)

    (Xs, ys), (Xt, yt) = draw(-1.0), draw(1.0)
    return Xs, ys, Xt, yt


def test_importance_weighted_scorer_ranks_settings_closer_to_target_accuracy_than_source_accuracy():
    # plain IWCV: under this strong covariate shift the weights have few effective rows, and
    # flattening them to half the rows (the default, min_effective_fraction=0.5) falls back
    # almost to the source accuracy that this test shows IWCV improves on
    subsets = [[0], [0, 2], [0, 1], [1, 2], [1]]  # the settings: which features the model sees
    source_rho, iwcv_rho, source_regret, iwcv_regret = [], [], [], []
    for seed in range(6):
        Xs, ys, Xt, yt = _feature_subset_task(seed)
        X, y, _ = stack_domains(Xs, ys, Xt)
        train, val = next(DomainShuffleSplit(1, test_size=0.5, random_state=seed).split(X, y))
        truth, source, iwcv = [], [], []
        scorer = ImportanceWeightedScorer(min_effective_fraction=None)
        for columns in subsets:
            model = make_da_pipeline(ColumnTransformer([("keep", "passthrough", columns)]),
                                     LogisticRegression()).fit(X[train], y[train])
            truth.append(np.mean(model.predict(Xt) == yt))
            source.append(model.score(X[val], y[val]))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # few source rows look like the target: low ESS
                iwcv.append(scorer(model, X[val], y[val]))
        truth = np.asarray(truth)
        source_rho.append(spearmanr(source, truth).statistic)
        iwcv_rho.append(spearmanr(iwcv, truth).statistic)
        source_regret.append(truth.max() - truth[np.argmax(source)])
        iwcv_regret.append(truth.max() - truth[np.argmax(iwcv)])
    assert np.mean(iwcv_rho) > np.mean(source_rho) + 0.3
    assert np.mean(iwcv_regret) < np.mean(source_regret)


def test_importance_weighted_scorer_matches_estimate_target_score(fitted):
    from sktransfer.diagnostics import estimate_target_score

    pipe, X, y, sample_domain, _ = fitted
    weighting = DomainClassifierWeighting(random_state=3)
    for scoring in ("accuracy", "neg_log_loss", "roc_auc", "gini"):
        for fraction in (None, 0.5, 0.9):
            expected = estimate_target_score(pipe, X, y, weighting=weighting, scoring=scoring,
                                             min_effective_fraction=fraction).score
            scorer = ImportanceWeightedScorer(scoring, weighting=weighting, min_effective_fraction=fraction)
            assert scorer(pipe, X, y) == pytest.approx(expected)


# the flattening of the weights (min_effective_fraction)

def _ess_fraction(weights):
    return weights.sum() ** 2 / np.sum(weights**2) / weights.size


def test_flattening_keeps_weights_that_have_enough_effective_rows():
    weights = np.random.default_rng(0).uniform(0.5, 1.5, 200)
    assert _ess_fraction(weights) > 0.5
    flattened, exponent = flatten_weights(weights, 0.5)
    assert exponent == 1.0
    np.testing.assert_array_equal(flattened, weights)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_flattening_reaches_the_effective_fraction_when_it_binds(fraction):
    weights = np.random.default_rng(1).lognormal(0.0, 2.0, 300)  # heavy-tailed: few effective rows
    assert _ess_fraction(weights) < 0.1
    flattened, exponent = flatten_weights(weights, fraction)
    assert 0 < exponent < 1
    np.testing.assert_allclose(flattened / flattened.max(), (weights / weights.max()) ** exponent)
    # the largest exponent that meets the bound, to the bisection tolerance
    assert _ess_fraction(flattened) >= fraction
    assert _ess_fraction(flattened) == pytest.approx(fraction, abs=1e-8)
    assert _ess_fraction(weights ** (exponent + 2 * EXPONENT_TOL)) < fraction
    # the flattened weights give the same effective fraction at any scale
    _, rescaled = flatten_weights(1e6 * weights, fraction)
    assert rescaled == pytest.approx(exponent, abs=2 * EXPONENT_TOL)


def test_flattening_to_every_row_is_the_unweighted_score():
    weights = np.r_[np.zeros(10), np.random.default_rng(2).uniform(0.1, 3.0, 90)]
    flattened, exponent = flatten_weights(weights, 1.0)
    assert exponent == 0.0
    np.testing.assert_array_equal(flattened, np.ones(100))
    np.testing.assert_array_equal(flatten_weights(np.full(5, 2.0), 1.0)[0], np.full(5, 2.0))
    with pytest.raises(ValueError, match="finite, non-negative and not all zero"):
        flatten_weights(np.zeros(5), 0.5)
    with pytest.raises(ValueError, match="min_effective_fraction"):
        flatten_weights(np.array([1.0, -1.0, 2.0]), 0.5)


def test_importance_weighted_scorer_scores_with_the_flattened_weights(fitted):
    pipe, X, y, sample_domain, _ = fitted
    source = np.flatnonzero(y != -1)
    weights = np.ones(len(y))
    weights[source] = np.random.default_rng(3).lognormal(0.0, 2.5, source.size)  # degenerate
    fixed = _scorers._FixedWeights(weights)
    predicted = pipe.predict(X[source], sample_domain=sample_domain[source])
    correct = predicted == y[source]

    flattened, exponent = flatten_weights(weights[source], 0.5)
    assert 0 < exponent < 1
    score = ImportanceWeightedScorer(weighting=fixed, min_effective_fraction=0.5)(pipe, X, y)
    assert score == pytest.approx(np.average(correct, weights=flattened))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unflattened weights are degenerate
        unflattened = ImportanceWeightedScorer(weighting=fixed, min_effective_fraction=None)(pipe, X, y)
        assert unflattened == pytest.approx(np.average(correct, weights=weights[source]))
    # a fraction of 1 leaves equal weights: the plain source accuracy
    every_row = ImportanceWeightedScorer(weighting=fixed, min_effective_fraction=1.0)(pipe, X, y)
    assert every_row == pytest.approx(pipe.score(X, y, sample_domain=sample_domain))


@pytest.mark.filterwarnings("ignore::sktransfer.DegenerateWeightsWarning")
def test_importance_weighted_scorer_fits_the_ratio_on_the_features_entering_the_final_step(fitted):
    pipe, X, y, sample_domain, _ = fitted
    seen = []

    class RecordingWeighting(DomainClassifierWeighting):
        def fit_weights(self, X, y=None, sample_domain=None):
            seen.append(np.array(X, copy=True))
            return super().fit_weights(X, y, sample_domain)

    ImportanceWeightedScorer(weighting=RecordingWeighting(random_state=0), space="embedding")(pipe, X, y)
    np.testing.assert_allclose(seen[-1], pipe[:-1].transform(X, sample_domain=sample_domain))
    ImportanceWeightedScorer(weighting=RecordingWeighting(random_state=0), space="input")(pipe, X, y)
    np.testing.assert_array_equal(seen[-1], X)
    # an estimator that is not a pipeline: its input is its embedding
    model = LogisticRegression().fit(X[y != -1], y[y != -1])
    embedded = ImportanceWeightedScorer(space="embedding")(model, X, y)
    assert embedded == pytest.approx(ImportanceWeightedScorer(space="input")(model, X, y))


def test_importance_weighted_scorer_fits_the_density_ratio_once_per_fold(blobs):
    X, y, _, _ = blobs
    fits = []

    class CountingWeighting(DomainClassifierWeighting):
        def fit_weights(self, X, y=None, sample_domain=None):
            fits.append(len(X))
            return super().fit_weights(X, y, sample_domain)

    search = GridSearchCV(
        make_da_pipeline(CORAL(), LogisticRegression()), {"coral__reg": [0.1, 1.0, 10.0]},
        scoring=ImportanceWeightedScorer(weighting=CountingWeighting(random_state=0)),
        cv=DomainShuffleSplit(2, random_state=0), error_score="raise",
    ).fit(X, y)
    assert len(fits) == 2  # one per validation fold, not one per candidate
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_prediction_entropy_is_higher_for_confident_models(fitted):
    _, X, y, _, _ = fitted
    rows = y != -1
    scorer = PredictionEntropyScorer()
    scores = [scorer(LogisticRegression(C=C).fit(X[rows], y[rows]), X, y) for C in (1e-4, 1e-2, 1.0)]
    assert scores[0] < scores[1] < scores[2] <= 0
    # a uniform predictor has the entropy log(2)
    uniform = DummyClassifier(strategy="uniform").fit(X[rows], y[rows])
    assert scorer(uniform, X, y) == pytest.approx(-np.log(2))


def _snd_reference(proba, temperature):
    unit = proba / np.linalg.norm(proba, axis=1, keepdims=True)
    logits = unit @ unit.T / temperature
    np.fill_diagonal(logits, -np.inf)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return float(np.mean(-np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0), axis=1)))


def test_soft_neighborhood_density_matches_its_definition_in_chunks(fitted, monkeypatch):
    pipe, X, y, _, _ = fitted
    expected = _snd_reference(pipe.predict_proba(X[y == -1]), 0.05)
    assert SoftNeighborhoodDensity()(pipe, X, y) == pytest.approx(expected)
    monkeypatch.setattr(_scorers, "_SND_CHUNK_ENTRIES", 7 * int(np.sum(y == -1)))  # chunks of 7 rows
    assert SoftNeighborhoodDensity()(pipe, X, y) == pytest.approx(expected)


class FixedProba:
    """A stand-in classifier whose target predictions are given."""

    def __init__(self, proba):
        self.proba = np.asarray(proba)

    def predict_proba(self, X):
        return self.proba[: len(X)]


def test_soft_neighborhood_density_prefers_clustered_predictions():
    n = 100
    X, y = np.zeros((n + 2, 1)), np.r_[[0, 1], -np.ones(n, int)]
    sharp = np.repeat([[0.98, 0.02], [0.02, 0.98]], n // 2, axis=0)  # two dense clusters
    p = np.linspace(0.0, 1.0, n)
    spread = np.c_[p, 1 - p]  # the same range, no cluster
    scorer = SoftNeighborhoodDensity()
    assert scorer(FixedProba(sharp), X, y) > scorer(FixedProba(spread), X, y)
    # the documented blind spot: one prediction for every row is the densest of all
    collapsed = np.full((n, 2), 0.5)
    assert scorer(FixedProba(collapsed), X, y) == pytest.approx(np.log(n - 1))


def test_deep_embedded_validation_without_shift_is_minus_the_log_loss(fitted):
    pipe, X, y, _, _ = fitted
    source = y != -1
    loss = log_loss(y[source], pipe.predict_proba(X[source], sample_domain=np.ones(source.sum(), int)))
    # a domain classifier that knows nothing gives weights ~1: DEV is the plain source log loss
    dev = DeepEmbeddedValidation(DummyClassifier(strategy="prior"))(pipe, X, y)
    assert dev == pytest.approx(-loss, rel=0.05)


def test_deep_embedded_validation_uses_the_features_entering_the_final_step(fitted):
    pipe, X, y, _, _ = fitted
    seen = []

    def embedding(estimator, X_rows, sample_domain):
        seen.append((X_rows.shape, sample_domain.copy()))
        return estimator[:-1].transform(X_rows, sample_domain=sample_domain)

    by_callable = DeepEmbeddedValidation(embedding=embedding)(pipe, X, y)
    assert by_callable == pytest.approx(DeepEmbeddedValidation()(pipe, X, y))
    (shape, sample_domain), = seen
    assert shape == X.shape and set(sample_domain) == {-1, 1}
    assert np.isfinite(DeepEmbeddedValidation(embedding="input")(pipe, X, y))


def test_deep_embedded_validation_scores_a_good_model_above_a_bad_one(fitted):
    pipe, X, y, _, _ = fitted
    rows = y != -1
    bad = LogisticRegression().fit(X[rows], 1 - y[rows])  # every label flipped
    assert DeepEmbeddedValidation()(pipe, X, y) > DeepEmbeddedValidation()(bad, X, y)


def test_reverse_validation_scores_a_good_model_above_a_bad_one(fitted):
    pipe, X, y, sample_domain, _ = fitted
    rows = y != -1
    flipped = make_da_pipeline(CORAL(), LogisticRegression()).fit(X, np.where(rows, 1 - y, -1))
    good, bad = ReverseValidation()(pipe, X, y), ReverseValidation()(flipped, X, y)
    assert good > 0.8 and bad < 0.2
    # with sample_domain, the reverse fit gets the domains swapped and gives the same answer here
    assert ReverseValidation()(pipe, X, y, sample_domain=sample_domain) == pytest.approx(good)
    assert 0 <= ReverseValidation("balanced_accuracy")(pipe, X, y) <= 1


def test_reverse_validation_when_every_target_row_gets_one_label(fitted):
    _, X, y, _, _ = fitted
    rows = y != -1
    constant = DummyClassifier(strategy="constant", constant=1).fit(X[rows], y[rows])
    assert ReverseValidation()(constant, X, y) == pytest.approx(np.mean(y[rows] == 1))


def test_target_scorer_is_the_accuracy_on_the_target_rows(fitted):
    pipe, X, y, _, labels = fitted
    target = y == -1
    expected = np.mean(pipe.predict(X[target]) == labels[target])
    assert TargetScorer()(pipe, X, y, target_labels=labels) == pytest.approx(expected)
    with pytest.raises(ValueError, match="needs the true target labels"):
        TargetScorer()(pipe, X, y)
    with pytest.raises(ValueError, match="target_labels has 3 entries"):
        TargetScorer()(pipe, X, y, target_labels=[0, 1, 0])


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("scorer", UNSUPERVISED, ids=repr)
def test_scorers_need_target_rows(scorer, fitted):
    pipe, X, _, _, labels = fitted
    with pytest.raises(ValueError, match="no target row"):
        scorer(pipe, X, labels)  # every row labelled: no target row


@pytest.mark.parametrize("scorer", NEEDS_SOURCE, ids=repr)
def test_scorers_need_labelled_source_rows(scorer, fitted):
    pipe, X, y, _, _ = fitted
    with pytest.raises(ValueError, match="no labelled source row"):
        scorer(pipe, X[y == -1], y[y == -1])


@pytest.mark.parametrize("scorer", UNSUPERVISED, ids=repr)
def test_scorers_need_to_know_the_domains(scorer, fitted):
    pipe, X, _, _, _ = fitted
    with pytest.raises(ValueError, match="which rows are target rows"):
        scorer(pipe, X)


@pytest.mark.parametrize("scorer", NEEDS_PROBA, ids=repr)
def test_scorers_need_predict_proba(scorer, fitted):
    _, X, y, _, _ = fitted
    rows = y != -1
    svm = LinearSVC().fit(X[rows], y[rows])
    with pytest.raises(AttributeError, match="needs an estimator with predict_proba; LinearSVC has none"):
        scorer(svm, X, y)


@pytest.mark.parametrize("scorer, message", [
    (ImportanceWeightedScorer("f1"), "scoring must be one of"),
    (ImportanceWeightedScorer(weighting="kliep"), "weighting must have a fit_weights"),
    (ImportanceWeightedScorer(min_effective_fraction=0), "min_effective_fraction must be None or a number in"),
    (ImportanceWeightedScorer(min_effective_fraction=1.5), "min_effective_fraction must be None or a number"),
    (ImportanceWeightedScorer(min_effective_fraction="half"), "min_effective_fraction must be None or a"),
    (ImportanceWeightedScorer(min_effective_fraction=True), "min_effective_fraction must be None or a"),
    (ImportanceWeightedScorer(space="latent"), "space must be 'input' or 'embedding', got 'latent'"),
    (SoftNeighborhoodDensity(temperature=0), "temperature must be a positive number"),
    (DeepEmbeddedValidation(embedding="last"), "embedding must be 'auto', 'input' or a callable"),
    (DeepEmbeddedValidation(cv=1), "cv must be an integer of at least 2"),
    (ReverseValidation("f1"), "scoring must be one of"),
])
def test_scorers_reject_bad_parameters(scorer, message, fitted):
    pipe, X, y, _, _ = fitted
    with pytest.raises((ValueError, TypeError), match=message):
        scorer(pipe, X, y)


def test_scorer_rejects_a_malformed_sample_domain(fitted):
    pipe, X, y, _, _ = fitted
    with pytest.raises(ValueError, match="PredictionEntropyScorer.*sample_domain has 2 entries"):
        PredictionEntropyScorer()(pipe, X, y, sample_domain=[1, -1])


def test_scorers_have_params_and_a_short_repr():
    scorer = ImportanceWeightedScorer()
    assert repr(scorer) == "ImportanceWeightedScorer()"
    assert repr(scorer.set_params(scoring="roc_auc")) == "ImportanceWeightedScorer(scoring='roc_auc')"
    assert scorer.get_params() == {"scoring": "roc_auc", "weighting": None,
                                   "min_effective_fraction": 0.5, "space": "input", "random_state": 0}
    with pytest.raises(ValueError, match="has no parameter 'C'"):
        scorer.set_params(C=1)
    assert repr(SoftNeighborhoodDensity(temperature=0.1)) == "SoftNeighborhoodDensity(temperature=0.1)"


# ---------------------------------------------------------------- in plain sklearn tools

GRID = {"coral__reg": [0.1, 10.0]}


@pytest.mark.parametrize("scorer", UNSUPERVISED, ids=repr)
def test_grid_search_with_each_scorer_routing_off_and_on(scorer, blobs):
    X, y, sample_domain, _ = blobs
    pipe = make_da_pipeline(CORAL(), LogisticRegression())
    cv = DomainShuffleSplit(2, random_state=0)
    off = GridSearchCV(pipe, GRID, scoring=scorer, cv=cv, error_score="raise").fit(X, y)
    with sklearn.config_context(enable_metadata_routing=True):
        on = GridSearchCV(pipe, GRID, scoring=scorer, cv=cv, error_score="raise").fit(
            X, y, sample_domain=sample_domain)
        assert np.isfinite(on.score(X, y, sample_domain=sample_domain))
    np.testing.assert_allclose(on.cv_results_["mean_test_score"], off.cv_results_["mean_test_score"])
    assert on.best_params_ == off.best_params_
    assert np.isfinite(off.score(X, y))  # refit=True: best model scored by the scorer on X, y


def test_cross_val_score_with_groups_and_a_plain_sklearn_pipeline(blobs):
    X, y, sample_domain, _ = blobs
    # a plain sklearn Pipeline, its final step fitted on the labelled rows by LabeledOnly
    pipe = make_pipeline(CORAL(), LabeledOnly(LogisticRegression()))
    cv = DomainShuffleSplit(3, random_state=0)
    for scorer in UNSUPERVISED:
        scores = cross_val_score(pipe, X, y, groups=sample_domain, cv=cv, scoring=scorer, error_score="raise")
        assert scores.shape == (3,) and np.all(np.isfinite(scores))


def test_grid_search_with_the_target_scorer_routes_target_labels(blobs):
    X, y, sample_domain, labels = blobs
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(make_da_pipeline(CORAL(), LogisticRegression()), GRID,
                              scoring=TargetScorer(), cv=DomainShuffleSplit(2, random_state=0),
                              error_score="raise").fit(X, y, sample_domain=sample_domain, target_labels=labels)
    assert np.all(search.cv_results_["mean_test_score"] > 0.5)


def _three_domains():
    parts = [make_shifted_blobs(80, n_features=3, severity=s, random_state=0) for s in (0.3, 0.6)]
    Xs = [parts[0][0], parts[1][0] + 0.5]
    ys = [parts[0][1], parts[1][1]]
    return stack_domains(Xs, ys, parts[1][2])


def test_leave_one_domain_out_in_grid_search_routing_off_and_on():
    X, y, sample_domain = _three_domains()
    pipe = make_da_pipeline(CORAL(), LogisticRegression())
    off = GridSearchCV(pipe, GRID, scoring=ImportanceWeightedScorer(), cv=LeaveOneDomainOut(),
                       error_score="raise").fit(X, y, groups=sample_domain)
    assert off.n_splits_ == 2
    with sklearn.config_context(enable_metadata_routing=True):
        on = GridSearchCV(pipe, GRID, scoring=ReverseValidation(), cv=LeaveOneDomainOut(),
                          error_score="raise").fit(X, y, sample_domain=sample_domain)
    assert on.n_splits_ == 2 and np.all(np.isfinite(on.cv_results_["mean_test_score"]))


@pytest.mark.filterwarnings("ignore::sktransfer.DegenerateWeightsWarning")
def test_scorers_accept_dataframes(blobs):
    pd = pytest.importorskip("pandas")
    X, y, _, _ = blobs
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    train, val = next(DomainShuffleSplit(1, test_size=0.4, random_state=0).split(X, y))
    on_arrays = make_da_pipeline(CORAL(), LogisticRegression()).fit(X[train], y[train])
    on_frame = make_da_pipeline(CORAL(), LogisticRegression()).fit(frame.iloc[train], y[train])
    for scorer in UNSUPERVISED:
        assert scorer(on_frame, frame.iloc[val], y[val]) == pytest.approx(scorer(on_arrays, X[val], y[val]))
