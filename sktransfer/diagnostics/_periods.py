"""Drift over time: the PSI of every feature in each target period."""

import numpy as np

from ._columns import _domain_rows, _feature_names
from ._drift import (
    _check_psi_params,
    _check_stream_params,
    _group_summaries,
    _pandas,
    _streaming_docs,
)
from ._streaming import compute_rows


def _period_values(X, period):
    """``(X without the period column, period of each row or None)``."""
    if period is None:
        return X, None
    if isinstance(period, str) and hasattr(X, "columns"):
        if period not in X.columns:
            raise ValueError(f"drift_by_period: period={period!r} is not a column of X.")
        return X.drop(columns=[period]), compute_rows(X[period])
    return X, compute_rows(period)


def _sorted_labels(values):
    labels = list(dict.fromkeys(values.tolist()))
    try:
        return sorted(labels)
    except TypeError:  # values of mixed types: the order of first appearance
        return labels


@_streaming_docs
def drift_by_period(X, y=None, sample_domain=None, *, period=None, feature_names=None, n_bins=10,
                    categorical="auto", eps=1e-4, streaming="auto", sample_size=100_000,
                    chunk_size=None):
    """The PSI of every feature in each target period: a table of drift over time.

    The source rows are the reference (the development sample of a score);
    the target rows are split into periods (vintages, months, quarters) and
    each period's PSI against the source is computed on the same source bins,
    as a monitoring team tracks a scorecard. The entry of a feature and a
    period equals ``population_stability_index(source, target_rows_of_period)``.

    Parameters
    ----------
    X : array-like, sparse matrix, DataFrame, or Dask array or DataFrame of shape (n_samples, n_features)
        Source and target rows, stacked.
    y : array-like of shape (n_samples,), default=None
        Labels, ``-1`` (or ``NaN``) on target rows; only used to find them
        when ``sample_domain`` is not given.
    sample_domain : array-like of int of shape (n_samples,), default=None
        Domain of each row: positive for source, negative for target. Without
        ``period``, each negative id is one period, in the order
        ``-1, -2, -3, ...`` (the first period is ``-1``).
    period : array-like of shape (n_samples,) or str, default=None
        The period of each row (dates, months, vintage labels, numbers), or
        the name of a column of the DataFrame ``X`` that holds it (that
        column is then not a feature). Only the target rows' periods are
        read; periods are in sorted order (in order of first appearance when
        the values cannot be sorted). A missing period on a target row is an
        error.
    feature_names : list of str, default=None
        Names of the features (default: the DataFrame's columns, or
        ``x0, x1, ...``).
    n_bins : int, default=10
        Quantile bins of the PSI, see :func:`population_stability_index`.
    categorical : {"auto", True, False}, default="auto"
        How non-numeric columns are handled, see
        :func:`population_stability_index`.
    eps : float, default=1e-4
        Floor of a bin's share in the PSI.
    {streaming}

    Returns
    -------
    table : pandas.DataFrame of shape (n_features, n_periods)
        The PSI of each feature (index, named ``"feature"``) in each period
        (columns, named ``"period"``), the features sorted by their largest
        PSI over the periods. ``table.attrs`` holds ``"n_rows"`` (period ->
        target rows), ``"n_source"``, ``"kind"`` (feature -> ``"numeric"``
        or ``"categorical"``) and ``"method"`` (``"exact"`` or
        ``"streaming"``). Draw it with :func:`plot_drift_over_time`.

    Raises
    ------
    ValueError
        If the domains cannot be found, ``period`` has the wrong length or a
        missing value on a target row, or as :func:`drift_report`.

    See Also
    --------
    drift_report : every statistic for one target.
    plot_drift_over_time : the table as lines, one per feature.

    Notes
    -----
    {streaming_notes}

    Examples
    --------
    Three quarterly vintages, the second feature drifting more each quarter:

    >>> import numpy as np
    >>> from sktransfer.diagnostics import drift_by_period
    >>> rng = np.random.default_rng(0)
    >>> source = rng.normal(size=(1000, 2))
    >>> vintages = [rng.normal(size=(500, 2)) + [0.0, shift] for shift in (0.0, 0.3, 0.6)]
    >>> X = np.vstack([source, *vintages])
    >>> period = np.repeat(["source", "2024Q1", "2024Q2", "2024Q3"], [1000, 500, 500, 500])
    >>> sample_domain = np.where(period == "source", 1, -1)
    >>> table = drift_by_period(X, sample_domain=sample_domain, period=period)
    >>> list(table.columns), table.index[0]
    (['2024Q1', '2024Q2', '2024Q3'], 'x1')
    >>> bool(table.loc["x1"].is_monotonic_increasing)
    True
    """
    pd = _pandas("drift_by_period")
    _check_psi_params(n_bins, eps)
    X, periods = _period_values(X, period)
    stream = _check_stream_params(streaming, sample_size, (X,))
    data, sd = _domain_rows(X, y, sample_domain, "drift_by_period")
    target = sd < 0
    if periods is None:
        labels = [int(v) for v in sorted(np.unique(sd[target]), reverse=True)]
        of_target = sd[target]
    else:
        if periods.ndim != 1 or periods.shape[0] != sd.shape[0]:
            raise ValueError(
                f"drift_by_period: period must have one value per row of X ({sd.shape[0]}), got "
                f"shape {periods.shape}."
            )
        of_target = periods[target]
        missing = pd.isna(of_target)
        if np.any(missing):
            raise ValueError(
                f"drift_by_period: {int(np.sum(missing))} target row(s) have no period (missing "
                "value); give every target row a period, or drop those rows."
            )
        labels = _sorted_labels(of_target)
    index = {label: k + 1 for k, label in enumerate(labels)}
    groups = np.zeros(sd.shape[0], dtype=np.int8 if len(labels) < 127 else np.int32)
    groups[target] = [index[v] for v in of_target.tolist()]
    n_features = len(data.columns) if hasattr(data, "columns") else data.shape[1]
    names = _feature_names(X, feature_names, n_features)
    summaries, method = _group_summaries(
        data, groups, len(labels) + 1, names, n_bins=n_bins, eps=eps, categorical=categorical,
        streaming=stream, sample_size=sample_size, chunk_size=chunk_size, who="drift_by_period")
    table = pd.DataFrame([s["psi"] for s in summaries], index=pd.Index(names, name="feature"),
                         columns=pd.Index(labels, name="period"))
    order = np.argsort(-table.max(axis=1).to_numpy(), kind="stable")
    table = table.iloc[order]
    counts = np.bincount(groups, minlength=len(labels) + 1)
    table.attrs = {
        "n_rows": {label: int(counts[k + 1]) for k, label in enumerate(labels)},
        "n_source": int(counts[0]),
        "kind": {name: s["kind"] for name, s in zip(names, summaries)},
        "method": method,
    }
    return table


def plot_drift_over_time(table, top=5, ax=None, *, bands=True):
    """Lines of the PSI over the periods, one per feature, for the most drifting features.

    Parameters
    ----------
    table : pandas.DataFrame
        Features as rows, periods as columns, PSI values: the result of
        :func:`drift_by_period`.
    top : int or None, default=5
        How many features to draw: those with the largest PSI over the
        periods. None draws them all.
    ax : matplotlib Axes, default=None
        Where to draw (default: a new figure).
    bands : bool, default=True
        Draw the conventional PSI thresholds 0.1 and 0.25 (see
        :data:`PSI_BANDS`) as dashed lines.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sktransfer.diagnostics import plot_drift_over_time
    >>> table = pd.DataFrame([[0.01, 0.12, 0.3], [0.02, 0.01, 0.03]], index=["income", "age"],
    ...                      columns=["2024Q1", "2024Q2", "2024Q3"])
    >>> ax = plot_drift_over_time(table, top=1)
    >>> [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    ['income']
    """
    if not hasattr(table, "columns") or not hasattr(table, "index"):
        raise TypeError(
            "plot_drift_over_time draws the table of drift_by_period (a DataFrame, features x "
            f"periods), got {type(table).__name__}."
        )
    if table.shape[0] == 0 or table.shape[1] == 0:
        raise ValueError("plot_drift_over_time: the table is empty (no feature or no period).")
    if top is not None and (not isinstance(top, (int, np.integer)) or isinstance(top, bool) or top < 1):
        raise ValueError(f"top must be a positive integer or None, got {top!r}.")
    values = table.to_numpy(dtype=np.float64)
    order = np.argsort(-np.nanmax(np.where(np.isnan(values), -np.inf, values), axis=1), kind="stable")
    if top is not None:
        order = order[:top]
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(table.shape[1])
    for i in order:
        ax.plot(x, values[i], marker="o", label=str(table.index[i]))
    if bands:
        for bound, style in ((0.1, ":"), (0.25, "--")):
            ax.axhline(bound, color="grey", linestyle=style, linewidth=1, label=f"_PSI {bound}")
        top_value = np.nanmax(values[order]) if np.isfinite(values[order]).any() else 0.3
        ax.text(x[-1], 0.25, " significant", va="bottom", ha="right", color="grey", fontsize=8)
        ax.text(x[-1], 0.1, " moderate", va="bottom", ha="right", color="grey", fontsize=8)
        ax.set_ylim(0, max(0.3, top_value * 1.1))
    ax.set_xticks(x)
    ax.set_xticklabels([str(c) for c in table.columns], rotation=45 if table.shape[1] > 8 else 0)
    ax.set_xlabel(str(table.columns.name or "period"))
    ax.set_ylabel("PSI against the source")
    ax.set_title("Drift over time")
    ax.legend(loc="upper left", fontsize=8)
    return ax
