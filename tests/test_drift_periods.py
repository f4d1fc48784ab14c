"""Drift over time: the PSI of each feature in each target period, and its plot."""

import numpy as np
import pytest

from sktransfer.diagnostics import (
    drift_by_period,
    plot_drift_over_time,
    population_stability_index,
)

pd = pytest.importorskip("pandas")


def _vintages(n_source=2000, n_period=800, shifts=(0.0, 0.2, 0.5, 0.9), seed=0):
    """A source, then one vintage per shift: feature 'balance' drifts more
    and more, 'age' stays, 'channel' (categorical) changes in the last one."""
    rng = np.random.default_rng(seed)
    parts, periods = [], []
    for k, shift in enumerate((None, *shifts)):
        n = n_source if shift is None else n_period
        s = 0.0 if shift is None else shift
        last = shift is not None and k == len(shifts)
        parts.append(pd.DataFrame({
            "balance": rng.normal(s, 1 + s / 2, n),
            "age": rng.normal(40, 10, n).round(),
            "channel": rng.choice(["web", "branch"], n, p=[0.8, 0.2] if last else [0.5, 0.5]),
        }))
        periods += ["dev"] * n if shift is None else [f"2024-{k:02d}"] * n
    X = pd.concat(parts, ignore_index=True)
    periods = np.array(periods, dtype=object)
    sample_domain = np.where(periods == "dev", 1, -1)
    return X, sample_domain, periods


def test_each_entry_is_the_psi_of_that_period():
    X, sd, periods = _vintages()
    table = drift_by_period(X, sample_domain=sd, period=periods)
    assert list(table.columns) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert table.index.name == "feature" and table.columns.name == "period"
    source = X[sd > 0]
    for label in table.columns:
        psi = population_stability_index(source, X[periods == label])
        np.testing.assert_allclose(table[label].reindex(X.columns).to_numpy(), psi, rtol=1e-12)
    assert table.attrs["n_rows"] == {label: 800 for label in table.columns}
    assert table.attrs["n_source"] == 2000
    assert table.attrs["kind"] == {"balance": "numeric", "age": "numeric", "channel": "categorical"}


def test_growing_drift_is_seen_growing_and_stable_features_stay_stable():
    X, sd, periods = _vintages()
    table = drift_by_period(X, sample_domain=sd, period=periods)
    assert table.index[0] == "balance"
    assert table.loc["balance"].is_monotonic_increasing
    assert table.loc["balance"].iloc[0] < 0.1 and table.loc["balance"].iloc[-1] > 0.25
    assert (table.loc["age"] < 0.1).all()
    assert (table.loc["channel"].iloc[:-1] < 0.1).all() and table.loc["channel"].iloc[-1] > 0.25


def test_periods_from_negative_domain_ids_and_from_a_column():
    X, sd, periods = _vintages()
    ids = np.ones(len(X), dtype=int)
    for k, label in enumerate(sorted(set(periods) - {"dev"})):
        ids[periods == label] = -(k + 1)
    by_ids = drift_by_period(X, sample_domain=ids)
    assert list(by_ids.columns) == [-1, -2, -3, -4]
    by_labels = drift_by_period(X, sample_domain=sd, period=periods)
    np.testing.assert_allclose(by_ids.to_numpy(), by_labels.to_numpy(), rtol=1e-12)
    # the period as a column of X: not a feature
    with_column = X.assign(vintage=periods)
    by_column = drift_by_period(with_column, sample_domain=sd, period="vintage")
    assert "vintage" not in by_column.index
    pd.testing.assert_frame_equal(by_column.rename_axis(columns="period"), by_labels, check_exact=False,
                                  rtol=1e-12)
    # masked labels find the target rows, numeric periods sort as numbers
    y = np.where(sd > 0, 0, -1)
    numbers = np.array([int(p[-2:]) * 10 if p != "dev" else 0 for p in periods])
    by_numbers = drift_by_period(X, y, period=numbers)
    assert list(by_numbers.columns) == [10, 20, 30, 40]


def test_streaming_gives_the_same_table():
    X, sd, periods = _vintages()
    exact = drift_by_period(X, sample_domain=sd, period=periods)
    streamed = drift_by_period(X, sample_domain=sd, period=periods, streaming=True, chunk_size=700)
    pd.testing.assert_frame_equal(streamed, exact, check_exact=False, rtol=1e-12)
    sampled = drift_by_period(X, sample_domain=sd, period=periods, streaming=True, sample_size=500)
    np.testing.assert_allclose(sampled.to_numpy(), exact.reindex(sampled.index).to_numpy(), atol=0.03)
    assert sampled.attrs["method"] == "streaming"


def test_dask_dataframe_gives_the_same_table():
    dd = pytest.importorskip("dask.dataframe")
    X, sd, periods = _vintages()
    lazy = dd.from_pandas(X.assign(vintage=periods), npartitions=4)
    table = drift_by_period(lazy, sample_domain=sd, period="vintage")
    expected = drift_by_period(X, sample_domain=sd, period=periods)
    pd.testing.assert_frame_equal(table.rename_axis(columns="period"), expected, check_exact=False,
                                  rtol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda X, sd, p: drift_by_period(X, sample_domain=sd, period=p[:10]), "one value per row"),
    (lambda X, sd, p: drift_by_period(X, sample_domain=sd, period=np.where(np.arange(len(p)) == 2500, None, p)),
     "1 target row"),
    (lambda X, sd, p: drift_by_period(X, sample_domain=sd, period="nope"), "not a column of X"),
    (lambda X, sd, p: drift_by_period(X, period=p), "needs to know which rows are target rows"),
    (lambda X, sd, p: drift_by_period(X, sample_domain=sd, period=p, n_bins=1), "n_bins"),
])
def test_errors_name_the_problem(call, message):
    X, sd, periods = _vintages(n_source=2000, n_period=200)
    with pytest.raises(ValueError, match=message):
        call(X, sd, periods)


def test_plot_draws_the_top_features_over_the_periods():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, sd, periods = _vintages()
    table = drift_by_period(X, sample_domain=sd, period=periods)
    ax = plot_drift_over_time(table, top=2)
    lines = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert [line.get_label() for line in lines] == ["balance", "channel"]
    np.testing.assert_allclose(lines[0].get_ydata(), table.loc["balance"].to_numpy())
    assert [t.get_text() for t in ax.get_xticklabels()] == list(table.columns)
    assert {line.get_ydata()[0] for line in ax.get_lines() if line.get_label().startswith("_PSI")} == {0.1, 0.25}
    _, given = plt.subplots()
    assert plot_drift_over_time(table, top=None, ax=given, bands=False) is given
    assert len(given.get_lines()) == 3
    with pytest.raises(TypeError, match="drift_by_period"):
        plot_drift_over_time(table.to_numpy())
    with pytest.raises(ValueError, match="top must be"):
        plot_drift_over_time(table, top=0)
    with pytest.raises(ValueError, match="empty"):
        plot_drift_over_time(table.iloc[:0])
    plt.close("all")
