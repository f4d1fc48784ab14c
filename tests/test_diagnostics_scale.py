"""Diagnostics at scale: streamed drift statistics, sampled domain classifier.

The streamed PSI and KS must equal the in-memory ones when the sample holds
every row, stay close (and within the reported KS bound) when it does not,
not depend on the chunking, and use memory that does not grow with the rows.
"""

import tracemalloc
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktransfer import CORAL, DomainStandardScaler
from sktransfer.diagnostics import (
    domain_classifier_auc,
    drift_report,
    ks_drift,
    population_stability_index,
)
from sktransfer.diagnostics._streaming import ks_from_histograms, stratified_sample_rows

pd = pytest.importorskip("pandas")


def _mixed_frame(n=6000, seed=0):
    """Source then target rows: numeric with NaN, integer codes, a string
    category, numbers in an object column, booleans; shifts on some."""
    rng = np.random.default_rng(seed)
    target = np.arange(n) >= int(0.6 * n)
    frame = pd.DataFrame({
        "income": rng.lognormal(10, 1, n) * np.where(target, 1.3, 1.0),
        "age": rng.normal(40, 10, n).round(),
        "status": np.where(target, rng.integers(-2, 6, n), rng.integers(-2, 4, n)),
        "region": rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2]),
        "as_objects": pd.Series(rng.integers(0, 5, n), dtype=object),
        "flag": rng.random(n) < np.where(target, 0.4, 0.2),
    })
    frame.loc[rng.random(n) < 0.05, "income"] = np.nan
    frame.loc[rng.random(n) < 0.02, "region"] = None
    return frame, np.where(target, -1, 1)


def test_streaming_with_every_row_in_the_sample_is_the_exact_report():
    frame, sd = _mixed_frame()
    exact = drift_report(frame, sample_domain=sd)
    for chunk_size in (500, 1777, 10_000):
        streamed = drift_report(frame, sample_domain=sd, streaming=True, chunk_size=chunk_size)
        pd.testing.assert_frame_equal(streamed, exact, check_exact=False, rtol=1e-12)
        assert streamed.attrs["method"] == "streaming" and exact.attrs["method"] == "exact"
    assert exact.loc["region", "kind"] == "categorical" and exact.loc["as_objects", "kind"] == "numeric"
    assert exact.loc["flag", "kind"] == "categorical"
    assert exact.attrs["n_source"] == 3600 and exact.attrs["n_target"] == 2400
    assert set(exact.attrs["ks_error_bound"]) == set(frame.columns)


def test_streamed_psi_and_ks_are_close_and_within_the_bound():
    rng = np.random.default_rng(1)
    n = 60_000
    source = np.column_stack([rng.normal(size=n), rng.exponential(size=n), rng.integers(0, 7, n)])
    target = np.column_stack([rng.normal(0.3, 1.2, n), rng.exponential(1.2, n), rng.integers(0, 8, n)])
    exact_psi = population_stability_index(source, target)
    exact_ks, exact_p = ks_drift(source, target)
    psi = population_stability_index(source, target, streaming=True, sample_size=5000, chunk_size=7000)
    np.testing.assert_allclose(psi, exact_psi, atol=0.01)
    assert not np.allclose(psi, exact_psi, rtol=1e-9, atol=0)  # the sample did change the edges
    X = np.vstack([source, target])
    sd = np.r_[np.ones(n), -np.ones(n)].astype(int)
    report = drift_report(X, sample_domain=sd, streaming=True, sample_size=5000).reindex(["x0", "x1", "x2"])
    bound = np.array([report.attrs["ks_error_bound"][c] for c in ("x0", "x1", "x2")])
    ks = report["ks_statistic"].to_numpy()
    # the streamed statistic is a lower bound of the exact one, at most the bound below it
    assert np.all(ks <= exact_ks + 1e-12) and np.all(exact_ks <= ks + bound + 1e-12)
    assert np.all(bound < 0.01)
    # integer codes: every distinct value is an edge, so the KS statistic is exact
    assert bound[2] == 0.0 and ks[2] == pytest.approx(exact_ks[2], abs=1e-12)
    pvalue = report["ks_pvalue"].to_numpy()
    assert np.all((pvalue < 1e-10) == (exact_p < 1e-10))
    assert pvalue[exact_p >= 1e-10] == pytest.approx(exact_p[exact_p >= 1e-10], rel=0.5)


def test_the_ks_bound_holds_on_random_histograms():
    rng = np.random.default_rng(2)
    for _ in range(20):
        a = rng.normal(size=rng.integers(5, 300))
        b = rng.normal(rng.normal(), 1 + rng.random(), size=rng.integers(5, 300))
        edges = np.unique(np.quantile(np.r_[a, b], np.linspace(0, 1, rng.integers(2, 30))[1:-1]))

        def hist(v, edges=edges):
            where = np.searchsorted(edges, v, side="left")
            counts = np.bincount(where, minlength=edges.size + 1)
            inside = where < edges.size
            at_edge = np.bincount(where[inside][v[inside] == edges[where[inside]]], minlength=edges.size)
            return counts, at_edge

        d, err = ks_from_histograms(*hist(a), *hist(b))
        exact = stats.ks_2samp(a, b).statistic
        assert d - 1e-12 <= exact <= d + err + 1e-12


def test_the_sample_does_not_depend_on_the_chunking():
    frame, sd = _mixed_frame(n=20_000, seed=3)
    reports = [drift_report(frame, sample_domain=sd, streaming=True, sample_size=3000, chunk_size=c)
               for c in (999, 4096, 20_000)]
    for other in reports[1:]:
        pd.testing.assert_frame_equal(other, reports[0], check_exact=False, rtol=1e-12)


def _traced_peak(call):
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_memory_does_not_grow_with_the_rows():
    rng = np.random.default_rng(4)
    peaks = {}
    for n in (100_000, 400_000):
        X = rng.normal(size=(n, 3))
        sd = np.where(np.arange(n) < n // 2, 1, -1)
        peaks["streaming", n] = _traced_peak(lambda X=X, sd=sd: drift_report(
            X, sample_domain=sd, streaming=True, sample_size=4000, chunk_size=10_000))
        peaks["exact", n] = _traced_peak(lambda X=X, sd=sd: drift_report(X, sample_domain=sd, streaming=False))
    # bytes per added row: streaming holds only the domain ids (an int64 copy made by the domain
    # checks, freed before the passes, and a one-byte group), the exact path copies and sorts a column
    streaming = (peaks["streaming", 400_000] - peaks["streaming", 100_000]) / 300_000
    exact = (peaks["exact", 400_000] - peaks["exact", 100_000]) / 300_000
    assert streaming < 12 and exact > 40


def test_streaming_finds_the_shifted_feature():
    rng = np.random.default_rng(5)
    n = 50_000
    X = rng.normal(size=(2 * n, 4))
    X[n:, 2] = X[n:, 2] * 1.5 + 0.4
    sd = np.r_[np.ones(n), -np.ones(n)].astype(int)
    report = drift_report(X, sample_domain=sd, streaming=True, sample_size=5000)
    assert report.index[0] == "x2" and report["band"].iloc[0] == "significant"
    assert (report["band"].iloc[1:] == "stable").all()


@pytest.mark.parametrize("kwargs, message", [
    ({"streaming": "yes"}, "streaming must be"),
    ({"streaming": True, "sample_size": 1}, "sample_size must be"),
    ({"streaming": True, "chunk_size": 0}, "chunk_size must be"),
])
def test_bad_streaming_parameters_are_named(kwargs, message):
    frame, sd = _mixed_frame(n=200)
    with pytest.raises(ValueError, match=message):
        drift_report(frame, sample_domain=sd, **kwargs)


def test_streaming_raises_the_in_memory_errors():
    frame, sd = _mixed_frame(n=2000)
    for streaming in (False, True):
        with pytest.raises(ValueError, match="Feature 'region' is not numeric"):
            drift_report(frame, sample_domain=sd, categorical=False, streaming=streaming)
        broken = frame.copy()
        broken.loc[1500, "age"] = np.inf  # one row, beyond a small sample
        with pytest.raises(ValueError, match="Feature 'age' has infinite values"):
            drift_report(broken, sample_domain=sd, streaming=streaming, sample_size=100)
    empty = frame.copy()
    empty.loc[sd < 0, "income"] = np.nan
    with pytest.warns(UserWarning, match="'income' has no non-missing value in the target"):
        report = drift_report(empty, sample_domain=sd, streaming=True, sample_size=100)
    assert np.isnan(report.loc["income", "ks_statistic"]) and report.loc["income", "target_missing"] == 1.0


def test_streamed_pair_functions_keep_their_shapes_and_errors():
    rng = np.random.default_rng(6)
    s, t = rng.normal(size=3000), rng.normal(0.5, 1, size=3000)
    assert isinstance(population_stability_index(s, t, streaming=True), float)
    assert population_stability_index(s, t, streaming=True) == pytest.approx(population_stability_index(s, t))
    statistic, pvalue = ks_drift(s, t, streaming=True)
    assert statistic == pytest.approx(stats.ks_2samp(s, t).statistic) and pvalue < 1e-6
    with pytest.raises(ValueError, match="same columns"):
        population_stability_index(pd.DataFrame({"a": s}), pd.DataFrame({"b": t}), streaming=True)
    with pytest.raises(ValueError, match="same features"):
        population_stability_index(np.c_[s, s], np.c_[t, t, t], streaming=True)


# ---- the domain classifier on a stratified sample ------------------------------------


def test_stratified_sample_keeps_each_domain_share():
    sd = np.r_[np.full(700, 1), np.full(250, 2), np.full(47, -1), np.full(3, -2)]
    rows = stratified_sample_rows(sd, 100, random_state=0, min_per_domain=5)
    counts = {d: int(np.sum(sd[rows] == d)) for d in (1, 2, -1, -2)}
    assert counts == {1: 70, 2: 25, -1: 5, -2: 3}
    assert np.all(np.diff(rows) > 0)
    np.testing.assert_array_equal(rows, stratified_sample_rows(sd, 100, random_state=0, min_per_domain=5))
    np.testing.assert_array_equal(stratified_sample_rows(sd, 5000, random_state=0), np.arange(1000))


def test_domain_classifier_on_a_sample_reports_its_sizes_and_finds_the_shift():
    rng = np.random.default_rng(7)
    n_s, n_t = 6000, 2000
    X = rng.normal(size=(n_s + n_t, 3))
    X[n_s:, 1] += 1.0
    sd = np.r_[np.ones(n_s), -np.ones(n_t)].astype(int)
    full = domain_classifier_auc(X, sample_domain=sd, estimator=LogisticRegression(), cv=3, n_repeats=1,
                                 random_state=0)
    assert not full.sampled and (full.n_source, full.n_target) == (n_s, n_t)
    sampled = domain_classifier_auc(X, sample_domain=sd, estimator=LogisticRegression(), cv=3, n_repeats=1,
                                    random_state=0, max_rows=800)
    assert sampled.sampled
    assert (sampled.n_source, sampled.n_target) == (600, 200)
    assert (sampled.n_source_total, sampled.n_target_total) == (n_s, n_t)
    assert sampled.ranking[0] == "x1" and sampled.auc == pytest.approx(full.auc, abs=0.05)
    again = domain_classifier_auc(X, sample_domain=sd, estimator=LogisticRegression(), cv=3, n_repeats=1,
                                  random_state=0, max_rows=800)
    assert again.auc == sampled.auc
    # a DataFrame samples the same rows
    frame = domain_classifier_auc(pd.DataFrame(X, columns=["x0", "x1", "x2"]), sample_domain=sd,
                                  estimator=LogisticRegression(), cv=3, n_repeats=1, random_state=0,
                                  max_rows=800)
    assert frame.auc == pytest.approx(sampled.auc, abs=1e-12)
    with pytest.raises(ValueError, match="max_rows must be"):
        domain_classifier_auc(X, sample_domain=sd, max_rows=1)


def test_max_rows_keeps_cv_rows_of_a_small_domain():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(2010, 2))
    sd = np.r_[np.ones(2000), -np.ones(10)].astype(int)
    result = domain_classifier_auc(X, sample_domain=sd, estimator=LogisticRegression(), cv=5,
                                   n_repeats=1, random_state=0, max_rows=200)
    assert result.n_target == 5 and result.n_source == 199


# ---- the alignment transformers keep sklearn's contract ------------------------------


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _CHECKED = [CORAL(), CORAL(reg="auto"), DomainStandardScaler()]


@parametrize_with_checks(_CHECKED)
def test_alignment_estimators_pass_sklearn_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)
