"""Hardening of the diagnostics and metrics: the domain classifier's AUC on
overlapping domains, threads, reproducibility, sparse and zero-feature
inputs, string labels, extreme magnitudes, and a matrix of bad inputs whose
every outcome must be a clear error or a finite, correct result."""

import re
import traceback

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler

from sktransfer import stack_domains
from sktransfer.__main__ import main
from sktransfer.diagnostics import (
    domain_classifier_auc,
    drift_report,
    estimate_target_score,
    ks_drift,
    population_stability_index,
)
from sktransfer.metrics import (
    gini_score,
    gini_scorer,
    ks_score,
    ks_scorer,
    mmd,
    mmd_test,
    roc_auc_scorer,
)
from sktransfer.reweighting import DomainClassifierWeighting


def _domains(n_source, n_target):
    return np.r_[np.ones(n_source), -np.ones(n_target)].astype(int)


# ---- 1. the domain classifier's AUC when the domains overlap -----------------


def test_identical_domains_read_one_half():
    """Every row in both domains: before, each copy's twin on the other side
    of a fold taught the classifier the opposite domain (AUC 0.02 to 0.04)."""
    A = np.random.default_rng(0).normal(size=(400, 4))
    result = domain_classifier_auc(np.r_[A, A], sample_domain=_domains(400, 400), cv=3,
                                   n_repeats=1, random_state=0)
    assert abs(result.auc - 0.5) < 0.05, result.auc
    # the same with a given estimator and with a DataFrame
    linear = domain_classifier_auc(pd.DataFrame(np.r_[A, A]), sample_domain=_domains(400, 400), cv=3,
                                   n_repeats=1, estimator=LogisticRegression(), random_state=0)
    assert abs(linear.auc - 0.5) < 0.05, linear.auc


def test_half_copied_target_reads_one_half():
    """Half the target rows copied from the source, half new draws of the same
    distribution: before 0.25."""
    rng = np.random.default_rng(1)
    Xs, fresh = rng.normal(size=(600, 4)), rng.normal(size=(300, 4))
    Xt = np.r_[Xs[rng.choice(600, 300, replace=False)], fresh]
    X, y, _ = stack_domains(Xs, np.zeros(600, dtype=int), Xt)
    result = domain_classifier_auc(X, y, cv=3, n_repeats=1, random_state=0)
    assert abs(result.auc - 0.5) < 0.05, result.auc


@pytest.mark.parametrize("copies", [1, 3])
def test_random_halves_of_one_domain_read_one_half(copies):
    """One sample (each row present ``copies`` times) split at random into two domains."""
    rng = np.random.default_rng(2)
    A = rng.normal(size=(1200 // copies, 3))
    X = np.tile(A, (copies, 1))
    sample_domain = rng.permutation(_domains(600, 600))
    result = domain_classifier_auc(X, sample_domain=sample_domain, cv=3, n_repeats=1, random_state=0)
    assert abs(result.auc - 0.5) < 0.05, result.auc


def test_a_real_shift_still_reads_high_and_folds_keep_copies_together():
    from sktransfer.diagnostics._domain_classifier import _grouped_folds, _row_groups

    rng = np.random.default_rng(3)
    Xs, Xt = rng.normal(size=(400, 3)), rng.normal(size=(400, 3)) + [3.0, 0.0, 0.0]
    X = np.r_[Xs, Xs[:50], Xt]  # some source rows twice
    result = domain_classifier_auc(X, sample_domain=_domains(450, 400), cv=3, n_repeats=1, random_state=0)
    assert result.auc > 0.9 and result.ranking[0] == "x0"
    # the folds: every distinct row in one fold, each domain spread evenly
    groups = _row_groups(X)
    assert groups.max() + 1 == 800
    domain = (_domains(450, 400) < 0).astype(int)
    folds = _grouped_folds(domain, groups, 3, np.random.RandomState(0))
    for g in np.unique(groups):
        assert np.unique(folds[groups == g]).size == 1
    for d in (0, 1):
        assert np.ptp(np.bincount(folds[domain == d], minlength=3)) <= 2


def test_diagnose_the_same_file_twice_reads_one_half(tmp_path, capsys):
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"income": rng.normal(50, 10, 300), "debt": rng.normal(10, 3, 300)})
    frame["default"] = (frame["debt"] + rng.normal(size=300) > 10).astype(int)
    path = tmp_path / "a.csv"
    frame.to_csv(path, index=False)
    assert main(["diagnose", str(path), str(path), "--target", "default"]) == 0
    out = capsys.readouterr().out
    auc = float(re.search(r"Domain classifier AUC \(0.5: the domains look alike\): ([0-9.]+)", out).group(1))
    assert abs(auc - 0.5) < 0.05, out


# ---- 2. threads -----------------------------------------------------------------


_THREADS_SEEN = []


class _RecordsThreads(ClassifierMixin, BaseEstimator):
    """A logistic regression that records the thread pools' sizes while it fits."""

    def fit(self, X, y):
        from threadpoolctl import threadpool_info

        _THREADS_SEEN.append({pool["internal_api"]: pool["num_threads"] for pool in threadpool_info()})
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


def test_the_fits_run_on_one_thread_by_default():
    """Gradient boosting's OpenMP threads stall when other processes hold the
    cores; the fits are small, so they run on one thread unless asked."""
    X = np.random.default_rng(5).normal(size=(60, 2))
    _THREADS_SEEN.clear()
    domain_classifier_auc(X, sample_domain=_domains(30, 30), estimator=_RecordsThreads(), cv=2,
                          n_repeats=1, random_state=0)
    assert len(_THREADS_SEEN) == 2 and all(set(pools.values()) == {1} for pools in _THREADS_SEEN), _THREADS_SEEN
    with pytest.raises(ValueError, match="n_threads must be a positive integer or None"):
        domain_classifier_auc(X, sample_domain=_domains(30, 30), n_threads=0)


# ---- 3. reproducibility ----------------------------------------------------------


def _shifted(seed=6, n=300):
    rng = np.random.default_rng(seed)
    Xs, Xt = rng.normal(size=(n, 3)), rng.normal(size=(n, 3)) + [1.0, 0.0, 0.0]
    ys = (Xs[:, 0] + rng.normal(size=n) > 0).astype(int)
    return Xs, ys, Xt


def test_the_same_seed_gives_the_same_results():
    Xs, ys, Xt = _shifted()
    X, y, sd = stack_domains(Xs, ys, Xt)
    first = domain_classifier_auc(X, y, cv=3, n_repeats=2, random_state=0)
    again = domain_classifier_auc(X, y, cv=3, n_repeats=2, random_state=0)
    np.testing.assert_array_equal(first.fold_aucs, again.fold_aucs)
    np.testing.assert_array_equal(first.importances, again.importances)
    pd.testing.assert_frame_equal(drift_report(X, y), drift_report(X, y))
    model = LogisticRegression().fit(Xs[:100], ys[:100])
    X_eval, y_eval, _ = stack_domains(Xs[100:], ys[100:], Xt)
    estimates = [estimate_target_score(model, X_eval, y_eval, random_state=0) for _ in range(2)]
    assert estimates[0] == estimates[1]
    # a given weighting without a seed of its own follows random_state too
    given = [estimate_target_score(model, X_eval, y_eval, weighting=DomainClassifierWeighting(),
                                   random_state=3) for _ in range(2)]
    assert given[0] == given[1]
    # (random_state also seeds the bootstrap of the interval, so both calls pass it)
    assert given[0] == estimate_target_score(model, X_eval, y_eval,
                                             weighting=DomainClassifierWeighting(random_state=3),
                                             random_state=3)


def test_diagnose_prints_the_same_report_twice(tmp_path, capsys):
    from test_cli_diagnose import _tables

    source, target = _tables(tmp_path)
    outputs = []
    for _ in range(2):
        assert main(["diagnose", source, target, "--target", "default"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert main(["diagnose", source, target, "--target", "default", "--random-state", "0"]) == 0
    assert capsys.readouterr().out == outputs[0]


# ---- 4. sparse input, zero features, string labels -------------------------------


def test_sparse_input_gives_the_dense_results():
    rng = np.random.default_rng(7)
    dense = rng.normal(size=(200, 4)) * (rng.random((200, 4)) < 0.4)
    dense[100:, 1] += 2.0 * (dense[100:, 1] != 0)
    sparse = sp.csr_matrix(dense)
    sd = _domains(100, 100)
    pd.testing.assert_frame_equal(drift_report(sparse, sample_domain=sd), drift_report(dense, sample_domain=sd))
    np.testing.assert_array_equal(population_stability_index(sparse[:100], sparse[100:]),
                                  population_stability_index(dense[:100], dense[100:]))
    np.testing.assert_array_equal(ks_drift(sparse[:100], sparse[100:])[0], ks_drift(dense[:100], dense[100:])[0])
    assert mmd(sparse[:100], sparse[100:]) == pytest.approx(mmd(dense[:100], dense[100:]), rel=1e-9)
    for kernel in ("linear", "poly"):
        assert mmd(sparse[:100], sparse[100:], kernel=kernel) == pytest.approx(
            mmd(dense[:100], dense[100:], kernel=kernel), rel=1e-9)
    s_test, d_test = mmd_test(sparse[:100], sparse[100:], random_state=0), mmd_test(dense[:100], dense[100:],
                                                                                    random_state=0)
    assert s_test.statistic == pytest.approx(d_test.statistic, rel=1e-9) and s_test.pvalue == d_test.pvalue
    # a sparse X: a linear classifier by default; the same folds as the dense rows
    on_sparse = domain_classifier_auc(sparse, sample_domain=sd, cv=3, n_repeats=2, random_state=0)
    on_dense = domain_classifier_auc(dense, sample_domain=sd, cv=3, n_repeats=2, random_state=0,
                                     estimator=make_pipeline(MaxAbsScaler(), LogisticRegression(max_iter=1000)))
    assert on_sparse.auc == pytest.approx(on_dense.auc, abs=1e-6)
    assert on_sparse.auc > 0.7 and on_sparse.ranking[0] == on_dense.ranking[0] == "x1"
    # the scorers take sparse rows
    y = np.r_[(dense[:100, 0] > 0).astype(int), -np.ones(100, dtype=int)]
    model = LogisticRegression().fit(dense[:100], y[:100])
    assert gini_scorer(model, sparse, y) == pytest.approx(gini_scorer(model, dense, y))


@pytest.mark.parametrize(
    "call",
    [
        lambda Z: drift_report(Z, sample_domain=_domains(5, 5)),
        lambda Z: domain_classifier_auc(Z, sample_domain=_domains(5, 5), cv=2),
        lambda Z: population_stability_index(Z[:5], Z[5:]),
        lambda Z: ks_drift(Z[:5], Z[5:]),
        lambda Z: mmd(Z[:5], Z[5:]),
        lambda Z: mmd_test(Z[:5], Z[5:]),
        lambda Z: estimate_target_score(LogisticRegression().fit([[0], [1]], [0, 1]), Z,
                                        np.r_[[0, 1] * 2, 0, -np.ones(5, dtype=int)]),
    ],
    ids=["drift_report", "domain_classifier_auc", "psi", "ks", "mmd", "mmd_test", "estimate_target_score"],
)
@pytest.mark.parametrize("kind", ["array", "sparse", "frame"])
def test_zero_features_are_a_clear_error(call, kind):
    Z = {"array": np.zeros((10, 0)), "sparse": sp.csr_matrix((10, 0)), "frame": pd.DataFrame(index=range(10))}[kind]
    with pytest.raises(ValueError, match="0 features"):
        call(Z)


def test_credit_metrics_and_scorers_take_string_labels():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(120, 2))
    good_bad = np.where(X[:, 0] + rng.normal(size=120) > 0, "good", "bad")  # "good" sorts last: positive
    as_int = (good_bad == "good").astype(int)
    scores = X[:, 0]
    assert gini_score(good_bad, scores) == gini_score(as_int, scores)
    assert ks_score(good_bad, scores) == ks_score(as_int, scores)
    model_str, model_int = LogisticRegression().fit(X, good_bad), LogisticRegression().fit(X, as_int)
    for scorer in (gini_scorer, ks_scorer, roc_auc_scorer):
        assert scorer(model_str, X, good_bad) == pytest.approx(scorer(model_int, X, as_int))
    # masked rows among string labels (object y) are skipped
    masked = np.array(list(good_bad[:100]) + [-1] * 20, dtype=object)
    assert gini_scorer(model_str, X, masked) == pytest.approx(gini_scorer(model_int, X[:100], as_int[:100]))
    with pytest.raises(ValueError, match="binary outcomes"):
        ks_score(np.array(["a", "b", "c"] * 40), scores)
    with pytest.raises(TypeError, match="cannot be ordered"):
        gini_score(np.array(["a", 1] * 60, dtype=object), scores)


# ---- 5. magnitudes ---------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e200, 1e300, 1e-300])
def test_mmd_refuses_values_out_of_range(scale):
    rng = np.random.default_rng(9)
    X, Y = rng.normal(size=(30, 2)) * scale, rng.normal(size=(30, 2)) * scale
    with pytest.raises(ValueError, match="magnitude"):
        mmd(X, Y)
    with pytest.raises(ValueError, match="mmd_test: X holds values of magnitude"):
        mmd_test(X, Y, n_permutations=10)


@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_rank_based_drift_does_not_depend_on_the_scale(scale):
    rng = np.random.default_rng(10)
    Xs, Xt = rng.normal(size=(400, 3)), rng.normal(size=(300, 3)) + [0.0, 0.5, 1.0]
    np.testing.assert_array_equal(population_stability_index(Xs * scale, Xt * scale),
                                  population_stability_index(Xs, Xt))
    np.testing.assert_array_equal(ks_drift(Xs * scale, Xt * scale)[0], ks_drift(Xs, Xt)[0])
    X, y, sd = stack_domains(Xs, np.zeros(400, dtype=int), Xt)
    scaled, plain = drift_report(X * scale, y), drift_report(X, y)
    np.testing.assert_array_equal(scaled["psi"], plain["psi"])
    np.testing.assert_allclose(scaled["target_mean"] / scale, plain["target_mean"], rtol=1e-9)
    # the default domain classifier bins by quantiles: the scale barely matters (0.747 vs 0.763 at 1e300)
    auc = domain_classifier_auc(X, y, cv=3, n_repeats=1, random_state=0).auc
    assert domain_classifier_auc(X * scale, y, cv=3, n_repeats=1, random_state=0).auc == pytest.approx(auc, abs=0.03)
    # a given estimator gets the data in range, or a clear error
    with pytest.raises(ValueError, match="magnitude"):
        domain_classifier_auc(X * scale, y, cv=3, estimator=LogisticRegression())


def test_drift_report_means_near_the_float64_limit():
    X = np.r_[np.full((10, 1), 1e308), np.full((10, 1), -1e308)]
    report = drift_report(X, sample_domain=_domains(10, 10))
    assert report.loc["x0", "source_mean"] == 1e308 and report.loc["x0", "target_mean"] == -1e308


# ---- 6. the matrix of bad inputs -------------------------------------------------

_RNG = np.random.default_rng(11)
_BASE = _RNG.normal(size=(40, 3))
_BASE[20:, 0] += 1.0
_SD = _domains(20, 20)
_Y = np.r_[(_BASE[:20, 1] > 0).astype(int), -np.ones(20, dtype=int)]


def _with(values, where):
    X = _BASE.copy()
    X[where] = values
    return X


def _frame(kind):
    frame = pd.DataFrame(_BASE, columns=["a", "b", "c"])
    labels = np.where(_BASE[:, 2] > 0, "up", "down")
    frame["c"] = pd.Categorical(labels) if kind == "category" else labels.astype(object)
    return frame


# each case: (X, y, sample_domain); None means the default (_BASE, _Y, _SD)
_CASES = {
    "nan": (_with(np.nan, (slice(0, 40, 7), 1)), None, None),
    "inf": (_with(np.inf, (3, 2)), None, None),
    "all-nan column": (_with(np.nan, (slice(None), 2)), None, None),
    "1 row": (_BASE[[0, 25]], _Y[[0, 25]], _SD[[0, 25]]),
    "1 target row": (_BASE[:21], _Y[:21], _SD[:21]),
    "y all -1": (_BASE, -np.ones(40, dtype=int), "none"),
    "sample_domain wrong length": (_BASE, None, _SD[:-1]),
    "sample_domain zeros": (_BASE, None, np.r_[_SD[:-2], 0, 0]),
    "sample_domain 0.5": (_BASE, None, _SD * 0.5),
    "sample_domain strings": (_BASE, None, _SD.astype(str)),
    "string column": (_frame("object"), None, None),
    "categorical column": (_frame("category"), None, None),
    "object array of strings": (np.c_[_BASE[:, :2].astype(object), _frame("object")["c"].to_numpy()], None, None),
    "sparse": (sp.csr_matrix(_BASE), None, None),
    "zero features": (np.zeros((40, 0)), None, None),
}


def _parts(case):
    X, y, sd = _CASES[case]
    y = _Y if y is None else y
    sd = None if isinstance(sd, str) else (_SD if sd is None else sd)
    return X, y, sd


def _halves(X, sd):
    """The source and target rows (the two-sample functions' inputs); the
    first half and the rest when sample_domain is unusable."""
    try:
        sd = np.asarray(sd, dtype=int) if sd is not None and len(sd) == _num_rows(X) else None
    except (TypeError, ValueError):
        sd = None
    if sd is None or not (sd > 0).any() or not (sd < 0).any():
        half = max(1, _num_rows(X) // 2)
        rows_s, rows_t = np.arange(half), np.arange(half, _num_rows(X))
    else:
        rows_s, rows_t = np.flatnonzero(sd > 0), np.flatnonzero(sd < 0)
    take = (lambda r: X.iloc[r]) if hasattr(X, "iloc") else (lambda r: X[r])
    return take(rows_s), take(rows_t)


def _num_rows(X):
    return X.shape[0]


def _model():
    return LogisticRegression().fit(_BASE[:20], _Y[:20])


_FUNCTIONS = {
    "domain_classifier_auc": lambda X, y, sd: domain_classifier_auc(X, y, sd, cv=2, n_repeats=1,
                                                                     random_state=0).auc,
    "drift_report": lambda X, y, sd: drift_report(X, y, sd),
    "ks_drift": lambda X, y, sd: ks_drift(*_halves(X, sd)),
    "population_stability_index": lambda X, y, sd: population_stability_index(*_halves(X, sd)),
    "estimate_target_score": lambda X, y, sd: estimate_target_score(_model(), X, y, sd, random_state=0),
    "mmd": lambda X, y, sd: mmd(*_halves(X, sd)),
    "mmd_test": lambda X, y, sd: mmd_test(*_halves(X, sd), n_permutations=20, random_state=0),
    "gini_score": lambda X, y, sd: gini_score(_outcomes(X, y), _score_column(X)),
    "ks_score": lambda X, y, sd: ks_score(_outcomes(X, y), _score_column(X)),
    "gini_scorer": lambda X, y, sd: gini_scorer(_model(), X, y),
    "ks_scorer": lambda X, y, sd: ks_scorer(_model(), X, y),
    "roc_auc_scorer": lambda X, y, sd: roc_auc_scorer(_model(), X, y),
}


def _outcomes(X, y):
    """The credit metrics' y_true: the binary outcome of every row (y all -1: that)."""
    if np.all(y == -1):
        return y[: _num_rows(X)]
    return (_BASE[: _num_rows(X), 1] > 0).astype(int)


def _score_column(X):
    """The credit metrics' y_score: the first column of X as it is."""
    if hasattr(X, "iloc"):
        return X.iloc[:, 0].to_numpy() if X.shape[1] else np.zeros((len(X), 0))
    if sp.issparse(X):
        return X[:, 0].toarray().ravel() if X.shape[1] else np.zeros((X.shape[0], 0))
    return X[:, 0] if X.shape[1] else X


# words of a message that names each problem
_NAMES = {
    "nan": r"nan|missing",
    "inf": r"infinit|inf\b",
    "all-nan column": r"nan|missing",
    "1 row": r"row|cv=|two classes|binary|at least",
    "1 target row": r"row|cv=|target",
    "y all -1": r"source|labelled|label|two classes",
    "sample_domain wrong length": r"sample_domain has 39 entries|39",
    "sample_domain zeros": r"contains 0|0 is not a domain",
    "sample_domain 0.5": r"integer",
    "sample_domain strings": r"integer",
    "string column": r"numeric|number|encode|string|convert|\['c'\]",
    "categorical column": r"numeric|number|encode|categor|\['c'\]",
    "object array of strings": r"numeric|number|encode|dtype object|convert",
    "sparse": r"sparse|toarray|dense",
    "zero features": r"0 features|0 feature\(s\)|shape \(\d+, 0\)",
}


def _finite(result):
    """Whether a result is made of finite numbers, apart from the NaN the
    functions document: the KS statistic of categorical and of empty
    features (a warning says which), and the means of the latter."""
    if hasattr(result, "columns"):  # drift_report
        numeric = result.drop(columns=["band", "kind"])
        documented = (result["kind"] == "categorical") | result["source_missing"].eq(1) | \
            result["target_missing"].eq(1)
        numeric.loc[documented, ["ks_statistic", "ks_pvalue", "source_mean", "target_mean"]] = 0.0
        return bool(np.isfinite(numeric.to_numpy(dtype=float)).all())
    values = np.asarray(result if not isinstance(result, tuple) else [np.ravel(r) for r in result], dtype=float)
    return bool(np.isfinite(values).all())


@pytest.mark.filterwarnings("ignore::sktransfer.DegenerateWeightsWarning")
@pytest.mark.parametrize("case", list(_CASES))
@pytest.mark.parametrize("function", list(_FUNCTIONS))
def test_bad_inputs_give_clear_errors_or_finite_results(function, case):
    X, y, sd = _parts(case)
    try:
        with _record() as caught:
            result = _FUNCTIONS[function](X, y, sd)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        raised_in = traceback.extract_tb(exc.__traceback__)[-1].filename
        if function.endswith("_scorer") and "sktransfer" not in raised_in:
            return  # the scored model's own error on rows it cannot take: not the scorer's to judge

        assert re.search(_NAMES[case], message, flags=re.IGNORECASE), (function, case, message)
        for internal in ("zero-dimensional", "could not convert", "ufunc", "window shape", "index out of"):
            assert internal not in message, (function, case, message)
        return
    assert _finite(result) or _documented_nan(function, case, caught), (function, case, result)


class _record:
    def __enter__(self):
        import warnings

        self._context = warnings.catch_warnings(record=True)
        caught = self._context.__enter__()
        warnings.simplefilter("always")
        return caught

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)


def _documented_nan(function, case, caught):
    """KS of a categorical column is NaN by definition; of a column with no
    value, NaN with a warning naming it."""
    if function == "ks_drift" and case in ("string column", "categorical column", "object array of strings"):
        return True
    return function == "ks_drift" and any("no non-missing value" in str(w.message) for w in caught)


def test_the_matrix_classifies_outcomes():
    """The matrix's judge fails what it should: an obscure error, or NaN."""
    assert not _finite(np.array([0.1, np.nan]))
    assert _finite((np.array([0.1]), np.array([0.2])))
    with pytest.raises(AssertionError):
        assert re.search(_NAMES["nan"], "list index out of range")
