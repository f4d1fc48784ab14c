"""Diagnostics and alignment fits on a Dask LocalCluster give the in-memory results.

``drift_report``, the PSI and KS, ``domain_classifier_auc`` and the CORAL
and DomainStandardScaler fits read a Dask DataFrame or array partition by
partition, as tasks on the cluster's workers; the results must be those of
the same data in memory. Skipped without dask.distributed (and, for the
DataFrame cases, without pandas and dask.dataframe).
"""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktransfer import CORAL, DomainStandardScaler, stack_domains
from sktransfer.diagnostics import (
    domain_classifier_auc,
    drift_report,
    ks_drift,
    population_stability_index,
)

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as dask_client:
        yield dask_client


def _credit_like(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    target = np.arange(n) >= n // 2
    frame = pd.DataFrame({
        "limit": rng.lognormal(11, 0.8, n) * np.where(target, 1.4, 1.0),
        "age": rng.normal(38, 9, n).round(),
        "pay_0": np.where(target, rng.integers(-2, 5, n), rng.integers(-2, 3, n)).astype(float),
        "bill": rng.normal(5e4, 2e4, n),
        "education": rng.choice(["university", "graduate", "high school"], n),
    })
    frame.loc[rng.random(n) < 0.03, "bill"] = np.nan
    return frame, np.where(target, -1, 1)


def _ran_on_the_cluster(client, call):
    with distributed.get_task_stream(client) as stream:
        result = call()
    assert len(stream.data) > 0, "nothing ran on the cluster"
    return result


def test_drift_report_on_a_dask_dataframe_equals_the_in_memory_report(client):
    dd = pytest.importorskip("dask.dataframe")
    frame, sd = _credit_like()
    lazy = dd.from_pandas(frame, npartitions=5)
    report = _ran_on_the_cluster(client, lambda: drift_report(lazy, sample_domain=sd))
    expected = drift_report(frame, sample_domain=sd)
    pd.testing.assert_frame_equal(report, expected, check_exact=False, rtol=1e-12)
    assert report.attrs["method"] == "streaming" and expected.attrs["method"] == "exact"
    # sampled bin edges: the same sample as the in-memory streaming, whatever the partitions
    sampled = drift_report(lazy, sample_domain=da.from_array(sd, chunks=700), sample_size=500)
    pd.testing.assert_frame_equal(
        sampled, drift_report(frame, sample_domain=sd, streaming=True, sample_size=500, chunk_size=999),
        check_exact=False, rtol=1e-12)


def test_psi_and_ks_on_dask_arrays_equal_the_in_memory_ones(client):
    frame, sd = _credit_like()
    X = frame.drop(columns="education").to_numpy()
    source, target = X[sd > 0], X[sd < 0]
    lazy_source, lazy_target = da.from_array(source, chunks=(600, 2)), da.from_array(target, chunks=(900, 4))
    psi = _ran_on_the_cluster(client, lambda: population_stability_index(lazy_source, lazy_target))
    np.testing.assert_allclose(psi, population_stability_index(source, target), rtol=1e-12)
    statistic, pvalue = ks_drift(lazy_source, lazy_target)
    expected = ks_drift(source, target)
    np.testing.assert_allclose(statistic, expected[0], rtol=1e-12)
    np.testing.assert_allclose(pvalue, expected[1], rtol=1e-9)
    report = drift_report(da.from_array(X, chunks=(1000, 4)), sample_domain=sd)
    pd.testing.assert_frame_equal(report, drift_report(X, sample_domain=sd), check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("make", [lambda: CORAL(), lambda: CORAL(reg=0.0), lambda: CORAL(reg="auto"),
                                  lambda: DomainStandardScaler()],
                         ids=["CORAL", "CORAL(reg=0)", "CORAL(reg='auto')", "DomainStandardScaler"])
@pytest.mark.parametrize("offset", [0.0, 1e7], ids=["centred", "far-from-zero means"])
def test_alignment_fitted_on_a_dask_array_equals_the_in_memory_fit(client, make, offset):
    rng = np.random.default_rng(1)
    Xs = rng.normal(size=(1500, 4)) @ rng.normal(size=(4, 4)) + offset
    Xt = rng.normal(size=(1000, 4)) * [1.0, 3.0, 0.5, 2.0] + offset + 1.0
    X, y, sd = stack_domains(Xs, rng.integers(0, 2, 1500), Xt)
    in_memory = make().fit(X, y)
    lazy = _ran_on_the_cluster(client, lambda: make().fit(da.from_array(X, chunks=(400, 3)), y))
    fitted = [k for k in vars(in_memory) if k.endswith("_") and isinstance(getattr(in_memory, k), np.ndarray)]
    assert fitted
    for name in fitted:
        expected, got = getattr(in_memory, name), getattr(lazy, name)
        assert np.max(np.abs(got - expected)) <= 1e-10 * np.max(np.abs(expected)), name
    assert lazy.n_features_in_ == 4
    # the rows are mapped chunk by chunk, lazily, with the domains of the fit
    mapped = make().fit_transform(da.from_array(X, chunks=(400, 4)), sample_domain=sd)
    assert isinstance(mapped, da.Array)
    np.testing.assert_allclose(mapped.compute(), make().fit_transform(X, sample_domain=sd),
                               rtol=1e-8, atol=1e-8 * (1 + offset))
    np.testing.assert_allclose(lazy.transform(da.from_array(X[:50], chunks=20)).compute(),
                               in_memory.transform(X[:50]), rtol=1e-8, atol=1e-8 * (1 + offset))


def test_coral_on_a_dask_dataframe_keeps_the_feature_names(client):
    dd = pytest.importorskip("dask.dataframe")
    frame, sd = _credit_like()
    numeric = frame.drop(columns="education").fillna(0.0)
    numeric = (numeric - numeric.mean()) / numeric.std()
    lazy = CORAL().fit(dd.from_pandas(numeric, npartitions=3), sample_domain=sd)
    expected = CORAL().fit(numeric, sample_domain=sd)
    np.testing.assert_allclose(lazy.recoloring_, expected.recoloring_, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(lazy.feature_names_in_, expected.feature_names_in_)
    with pytest.raises(ValueError, match="NaN"):
        CORAL().fit(dd.from_pandas(frame.drop(columns="education"), npartitions=3), sample_domain=sd)
    with pytest.raises(ValueError, match="magnitude"):
        CORAL().fit(da.from_array(numeric.to_numpy() * 1e120, chunks=500), sample_domain=sd)


def test_domain_classifier_samples_a_dask_dataframe_without_computing_it_all(client):
    dd = pytest.importorskip("dask.dataframe")
    frame, sd = _credit_like()
    numeric = frame.drop(columns="education")
    kwargs = {"sample_domain": sd, "estimator": make_pipeline(StandardScaler(), LogisticRegression()),
              "cv": 3, "n_repeats": 1, "random_state": 0, "max_rows": 600}
    lazy = domain_classifier_auc(dd.from_pandas(numeric.fillna(0.0), npartitions=4), **kwargs)
    expected = domain_classifier_auc(numeric.fillna(0.0), **kwargs)
    assert lazy.auc == pytest.approx(expected.auc, abs=1e-12)
    assert (lazy.n_source, lazy.n_target, lazy.n_source_total) == (300, 300, 2000)
    everything = domain_classifier_auc(numeric.fillna(0.0), **dict(kwargs, max_rows=None))
    assert lazy.auc == pytest.approx(everything.auc, abs=0.05) and set(lazy.ranking[:2]) == {"limit", "pay_0"}
