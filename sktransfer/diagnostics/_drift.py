"""Per-feature drift statistics: PSI, the KS test, and the drift report."""

import numbers

import numpy as np
import scipy.sparse as sp
from scipy import stats

from ._columns import (
    _MISSING,
    _as_numeric,
    _category_key,
    _column_kind,
    _domain_rows,
    _feature_names,
    _infinite_error,
    _mean,
    _not_numeric_error,
    _paired_columns,
    _warn_if_no_values,
)
from ._streaming import RowChunks, check_streaming, is_dask_collection, streamed_columns

#: The conventional PSI bands: below 0.1 stable, from 0.1 moderate, from 0.25 significant.
PSI_BANDS = ((0.1, "stable"), (0.25, "moderate"), (np.inf, "significant"))


def _psi_band(psi):
    if not np.isfinite(psi):
        return "n/a"
    for bound, name in PSI_BANDS:
        if psi < bound:
            return name
    return PSI_BANDS[-1][1]


def _psi_from_proportions(expected, actual, eps):
    expected = np.maximum(expected, eps)
    actual = np.maximum(actual, eps)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def _psi_edges(values, n_bins):
    """The PSI bin edges of a feature: the tied-merged inner quantiles of its
    non-missing source values."""
    if not values.size:
        return np.array([])
    return np.unique(np.quantile(values, np.linspace(0.0, 1.0, n_bins + 1)[1:-1]))


def _numeric_psis(source, targets, n_bins, eps):
    """The PSI of each target sample against ``source`` (float arrays with NaN
    for missing values), on the same source bins."""
    edges = _psi_edges(source[~np.isnan(source)], n_bins)
    # right-closed bins (-inf, e1], (e1, e2], ..., (ek, inf), plus a bin of missing values
    n_value_bins = edges.size + 1

    def proportions(values):
        missing = np.isnan(values)
        counts = np.bincount(np.searchsorted(edges, values[~missing], side="left"), minlength=n_value_bins)
        counts = np.append(counts, missing.sum())
        return counts / max(len(values), 1)

    expected = proportions(source)
    return [_psi_from_proportions(expected, proportions(t), eps) for t in targets]


def _numeric_psi(source, target, n_bins, eps):
    return _numeric_psis(source, [target], n_bins, eps)[0]


def _count_categories(values):
    """Category -> count, in the order of first appearance (missing values are one category)."""
    counts = {}
    for v in values:
        key = _category_key(v)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _categorical_psis(source_counts, target_counts, eps):
    """The PSI of each target's category counts against the source's."""
    categories = list(dict.fromkeys([*source_counts, *(k for t in target_counts for k in t)]))

    def proportions(counts):
        array = np.array([counts.get(c, 0) for c in categories], dtype=np.int64)
        return array / max(int(array.sum()), 1)

    expected = proportions(source_counts)
    return [_psi_from_proportions(expected, proportions(t), eps) for t in target_counts]


def _categorical_psi(source, target, eps):
    source_counts, target_counts = _count_categories(source), _count_categories(target)
    # the categories of the source and this target only, in order of appearance
    return _categorical_psis(source_counts, [target_counts], eps)[0]


def _check_psi_params(n_bins, eps):
    if not isinstance(n_bins, numbers.Integral) or isinstance(n_bins, bool) or n_bins < 2:
        raise ValueError(f"n_bins must be an integer >= 2, got {n_bins!r}.")
    if not isinstance(eps, numbers.Real) or isinstance(eps, bool) or not 0 < eps < 1:
        raise ValueError(f"eps must be a number in (0, 1), got {eps!r}.")


def _check_stream_params(streaming, sample_size, data):
    check_streaming(streaming)
    if not isinstance(sample_size, numbers.Integral) or isinstance(sample_size, bool) or sample_size < 2:
        raise ValueError(f"sample_size must be an integer >= 2, got {sample_size!r}.")
    return streaming is True or (streaming == "auto" and any(is_dask_collection(d) for d in data))


_STREAMING_DOC = """
    streaming : {"auto", True, False}, default="auto"
        ``True``: read the rows chunk by chunk (``chunk_size`` rows at a
        time; each partition of a Dask collection, on its cluster's workers),
        so that memory does not grow with the rows; see the Notes. ``False``:
        the exact statistics, from all the rows of one column at a time (a
        Dask collection is computed first).
        ``"auto"``: streaming for Dask collections, in memory otherwise.
    sample_size : int, default=100_000
        Streaming only: rows of each domain sampled (uniformly, with a fixed
        seed) to place the bin edges; a domain with no more rows is read
        whole, and then the results are those of data in memory.
    chunk_size : int, default=None
        Streaming only: rows per chunk of data in memory (default: about
        4 million values per chunk). Dask collections keep their partitions."""


_STREAMING_NOTES = """
    Streaming reads the rows twice. The first pass draws a uniform sample of
    at most ``sample_size`` rows of each domain; the PSI bin edges are the
    quantiles of the source *sample*, and the rows of every domain are then
    counted in those bins exactly in the second pass, together with a
    histogram on 4096 quantiles of the pooled samples. The PSI differs from
    the one in memory only through the edges (sample quantiles: with 100,000
    rows a decile's rank is off by about 0.1 %). The KS statistic is the
    largest difference of the two empirical distribution functions at the
    histogram's edges, where they are exact: a lower bound ``d`` of the exact
    statistic ``D``, with ``D <= d + err`` where ``err`` is at most the
    largest share of either sample strictly inside one bin (0 for a feature
    whose distinct values are all edges: integer codes, ratings); ``err``
    is reported. Its p-value is Smirnov's asymptotic one (``method="asymp"``
    of ``scipy.stats.ks_2samp``). Means are combined from the chunks' means
    (equal to the in-memory ones up to rounding). When every domain fits in
    its sample, all of it is read and the statistics are those of data in
    memory."""


def _streaming_docs(func):
    func.__doc__ = func.__doc__.replace("    {streaming}", _STREAMING_DOC.strip("\n")).replace(
        "    {streaming_notes}", _STREAMING_NOTES.strip("\n"))
    return func


def _exact_numeric(values, n_bins, eps, name, who, ks=True):
    """Summary of a numeric feature from the float values of each group
    (group 0 the reference): PSI, KS test and means against it."""
    source = values[0]
    psis = _numeric_psis(source, values[1:], n_bins, eps)
    kept = [v[~np.isnan(v)] for v in values]
    tests = []
    for target in kept[1:]:
        _warn_if_no_values(name, kept[0], target, who)
        if ks and kept[0].size and target.size:
            result = stats.ks_2samp(kept[0], target)
            tests.append((float(result.statistic), float(result.pvalue), 0.0))
        else:
            tests.append((np.nan, np.nan, np.nan))
    return {
        "kind": "numeric", "psi": psis, "ks": tests,
        "means": [_mean(v) for v in kept],
        "missing": [float(np.isnan(v).mean()) for v in values],
        "n_rows": [len(v) for v in values],
    }


def _categorical_summary(counts, eps):
    n_rows = [max(sum(c.values()), 1) for c in counts]
    return {
        "kind": "categorical", "psi": _categorical_psis(counts[0], counts[1:], eps),
        "ks": [(np.nan, np.nan, np.nan)] * (len(counts) - 1),
        "means": [np.nan] * len(counts),
        "missing": [c.get(_MISSING, 0) / n for c, n in zip(counts, n_rows)],
        "n_rows": [sum(c.values()) for c in counts],
    }


def _kind_of_groups(values, dtype, categorical, name):
    """``_column_kind`` for several groups of one column."""
    if categorical not in ("auto", True, False):
        raise ValueError(f"categorical must be 'auto', True or False, got {categorical!r}.")
    if categorical is True:
        return "categorical", values
    if str(dtype) in ("category", "boolean") or getattr(dtype, "kind", None) == "b":
        numeric = None
    else:
        numeric = [_as_numeric(v) for v in values]
        if any(v is None for v in numeric):
            numeric = None
    if numeric is None:
        if categorical is False:
            raise _not_numeric_error(name, dtype)
        return "categorical", values
    if any(np.isinf(v).any() for v in numeric):
        raise _infinite_error(name)
    return "numeric", numeric


def _stacked_column(data, j):
    if sp.issparse(data):
        return data[:, [j]].toarray().ravel(), data.dtype
    if hasattr(data, "iloc"):
        return data.iloc[:, j].to_numpy(), data.dtypes.iloc[j]
    return data[:, j], data.dtype


def _group_summaries(data, groups, n_groups, names, *, n_bins, eps, categorical, streaming,
                     sample_size, chunk_size, who):
    """Per-feature summaries of every group of stacked ``data`` against group
    0: in memory, one column at a time (never a copy of all rows), or
    streamed."""
    if streaming:
        chunks = RowChunks([(data, groups)], chunk_size=chunk_size)
        columns = streamed_columns(chunks, n_groups, categorical=categorical, n_bins=n_bins,
                                   sample_size=sample_size)
        out = []
        for name, column in zip(names, columns):
            if column["kind"] == "categorical":
                out.append(_categorical_summary(column["counts"], eps))
            elif "values" in column:
                out.append(_exact_numeric(column["values"], n_bins, eps, name, who))
            else:
                out.append(_streamed_numeric(column, eps, name, who))
        return out, "streaming"
    if is_dask_collection(data):
        data = data.compute()
        if hasattr(data, "to_numpy") and not hasattr(data, "columns"):
            data = data.to_numpy()
    if sp.issparse(data):
        data = sp.csc_matrix(data)
    masks = [groups == g for g in range(n_groups)]
    out = []
    for j, name in enumerate(names):
        column, dtype = _stacked_column(data, j)
        kind, values = _kind_of_groups([column[m] for m in masks], dtype, categorical, name)
        if kind == "numeric":
            out.append(_exact_numeric(values, n_bins, eps, name, who))
        else:
            out.append(_categorical_summary([_count_categories(v) for v in values], eps))
    return out, "exact"


def _streamed_numeric(column, eps, name, who):
    n_rows = column["n_rows"]
    proportions = [c / max(int(n), 1) for c, n in zip(column["psi_counts"], n_rows)]
    no_values = np.zeros(0)
    for g in range(1, len(n_rows)):
        counted = [n_rows[k] - column["missing"][k] for k in (0, g)]
        _warn_if_no_values(name, no_values if counted[0] == 0 else np.ones(1),
                           no_values if counted[1] == 0 else np.ones(1), who)
    return {
        "kind": "numeric",
        "psi": [_psi_from_proportions(proportions[0], p, eps) for p in proportions[1:]],
        "ks": column["ks"],
        "means": column["means"],
        "missing": [m / max(int(n), 1) for m, n in zip(column["missing"], n_rows)],
        "n_rows": [int(n) for n in n_rows],
    }


def _streamed_pair(source, target, n_bins, eps, categorical, sample_size, chunk_size, who):
    """Per-feature summaries of a (source, target) pair, streamed; the
    feature names, and whether the inputs were 1-D."""
    is_1d = [getattr(d, "ndim", 2) == 1 for d in (source, target)]
    names = [list(map(str, d.columns)) if hasattr(d, "columns") else None for d in (source, target)]
    if is_1d[0] != is_1d[1]:
        raise ValueError("source and target must have the same features: one is 1-D, the other 2-D.")
    if names[0] is not None and names[1] is not None and names[0] != names[1]:
        raise ValueError(
            "source and target DataFrames must have the same columns in the same order; "
            f"they differ: {sorted(set(names[0]) ^ set(names[1])) or 'same names, other order'}."
        )
    pieces = []
    for g, data in enumerate((source, target)):
        n_rows = _rows_of(data)
        pieces.append((data, np.full(n_rows, g, dtype=np.int8)))
    chunks = RowChunks(pieces, chunk_size=chunk_size)
    if chunks.n_features == 0:
        raise ValueError("source has 0 features: there is nothing to compare; pass at least one column.")
    feature_names = names[0] or names[1] or [f"x{j}" for j in range(chunks.n_features)]
    chunks.names = feature_names
    columns = streamed_columns(chunks, 2, categorical=categorical, n_bins=n_bins, sample_size=sample_size)
    out = []
    for name, column in zip(feature_names, columns):
        if column["kind"] == "categorical":
            out.append(_categorical_summary(column["counts"], eps))
        elif "values" in column:
            out.append(_exact_numeric(column["values"], n_bins, eps, name, who))
        else:
            out.append(_streamed_numeric(column, eps, name, who))
    return out, is_1d[0]


def _rows_of(data):
    if is_dask_collection(data):
        from ._streaming import dask_shape

        return dask_shape(data)[0]
    return data.shape[0] if hasattr(data, "shape") else len(data)


@_streaming_docs
def population_stability_index(source, target, n_bins=10, *, categorical="auto", eps=1e-4,
                               streaming="auto", sample_size=100_000, chunk_size=None):
    """Population stability index (PSI) of each feature, from source to target.

    The credit-risk definition: the values are put in ``n_bins`` bins whose
    edges are the quantiles of the *source* (deciles by default; right-closed
    intervals ``(-inf, q1], (q1, q2], ..., (q_{k-1}, inf)``; tied quantiles
    are merged, so a feature with few distinct values gets fewer bins), plus
    one bin for missing values; with ``e_i`` and ``a_i`` the shares of the
    source (expected) and target (actual) rows in bin ``i``::

        PSI = sum_i (a_i - e_i) * ln(a_i / e_i)

    A share below ``eps`` (an empty bin) is replaced by ``eps`` in both
    factors, so that the PSI stays finite; shares are not renormalised. The
    usual reading: below 0.1 stable, 0.1 to 0.25 moderate shift, above 0.25
    significant shift. Categorical features use their categories as bins.

    Parameters
    ----------
    source : array-like of shape (n_source,) or (n_source, n_features), DataFrame, or Dask array or DataFrame
        The expected (reference) sample.
    target : array-like of shape (n_target,) or (n_target, n_features), DataFrame, or Dask array or DataFrame
        The actual sample, with the same features.
    n_bins : int, default=10
        Number of quantile bins of numeric features.
    categorical : {"auto", True, False}, default="auto"
        ``"auto"``: non-numeric columns (object, string, category, bool
        dtypes, or object arrays holding non-numbers) are binned by category.
        ``True``: every column is. ``False``: non-numeric columns are an error.
    eps : float, default=1e-4
        Floor of a bin's share.
    {streaming}

    Returns
    -------
    psi : float or ndarray of shape (n_features,)
        A float for 1-D inputs.

    Notes
    -----
    {streaming_notes}

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.diagnostics import population_stability_index
    >>> rng = np.random.default_rng(0)
    >>> source = rng.normal(size=5000)
    >>> round(population_stability_index(source, rng.normal(size=5000)), 3) < 0.1
    True
    >>> round(population_stability_index(source, rng.normal(0.5, 1, size=5000)), 2) > 0.2
    True

    The same on 200,000 rows read 50,000 at a time, with bin edges from a
    20,000-row sample of the source:

    >>> source, target = rng.normal(size=200_000), rng.normal(0.5, 1, size=200_000)
    >>> exact = population_stability_index(source, target)
    >>> streamed = population_stability_index(source, target, streaming=True,
    ...                                       sample_size=20_000, chunk_size=50_000)
    >>> bool(abs(streamed - exact) < 0.005)
    True
    """
    _check_psi_params(n_bins, eps)
    if _check_stream_params(streaming, sample_size, (source, target)):
        summaries, is_1d = _streamed_pair(source, target, n_bins, eps, categorical, sample_size,
                                          chunk_size, "population_stability_index")
        values = [s["psi"][0] for s in summaries]
        return values[0] if is_1d else np.asarray(values)
    s_cols, t_cols, names, is_1d, dtypes = _paired_columns(source, target)
    values = []
    for s, t, name, dtype in zip(s_cols, t_cols, names, dtypes):
        kind, s, t = _column_kind(s, t, dtype, categorical, name)
        values.append(_numeric_psi(s, t, n_bins, eps) if kind == "numeric" else _categorical_psi(s, t, eps))
    return values[0] if is_1d else np.asarray(values)


@_streaming_docs
def ks_drift(source, target, *, categorical="auto", streaming="auto", sample_size=100_000,
             chunk_size=None):
    """Two-sample Kolmogorov-Smirnov test of each feature, source against target.

    ``scipy.stats.ks_2samp`` (two-sided, its default ``method="auto"``) on
    the non-missing values of each numeric feature. Categorical features (see
    :func:`population_stability_index`) and features with no value in one
    sample get ``NaN``.

    Parameters
    ----------
    source : array-like of shape (n_source,) or (n_source, n_features), DataFrame, or Dask array or DataFrame
    target : array-like of shape (n_target,) or (n_target, n_features), DataFrame, or Dask array or DataFrame
    categorical : {"auto", True, False}, default="auto"
        As for :func:`population_stability_index`.
    {streaming}

    Returns
    -------
    statistic : float or ndarray of shape (n_features,)
        The largest distance between the two empirical distribution functions
        (streamed: a lower bound of it, see the Notes of
        :func:`population_stability_index`).
    pvalue : float or ndarray of shape (n_features,)

    Warns
    -----
    UserWarning
        When a numeric feature has no non-missing value in one of the samples
        (its statistic and p-value are then ``NaN``).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.diagnostics import ks_drift
    >>> statistic, pvalue = ks_drift(np.arange(100.0), np.arange(100.0) + 50)
    >>> float(statistic)
    0.5
    """
    if _check_stream_params(streaming, sample_size, (source, target)):
        summaries, is_1d = _streamed_pair(source, target, 10, 1e-4, categorical, sample_size,
                                          chunk_size, "ks_drift")
        statistics = [s["ks"][0][0] for s in summaries]
        pvalues = [s["ks"][0][1] for s in summaries]
        if is_1d:
            return statistics[0], pvalues[0]
        return np.asarray(statistics), np.asarray(pvalues)
    s_cols, t_cols, names, is_1d, dtypes = _paired_columns(source, target)
    statistics, pvalues = [], []
    for s, t, name, dtype in zip(s_cols, t_cols, names, dtypes):
        kind, s, t = _column_kind(s, t, dtype, categorical, name)
        if kind == "numeric":
            s, t = s[~np.isnan(s)], t[~np.isnan(t)]
            _warn_if_no_values(name, s, t, "ks_drift")
        if kind != "numeric" or s.size == 0 or t.size == 0:
            statistics.append(np.nan)
            pvalues.append(np.nan)
            continue
        result = stats.ks_2samp(s, t)
        statistics.append(float(result.statistic))
        pvalues.append(float(result.pvalue))
    if is_1d:
        return statistics[0], pvalues[0]
    return np.asarray(statistics), np.asarray(pvalues)


def _pandas(who):
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a test dependency
        raise ImportError(
            f"{who} returns a pandas DataFrame and needs pandas: pip install pandas "
            "(or sktransfer[data])."
        ) from None
    return pd


@_streaming_docs
def drift_report(X, y=None, sample_domain=None, *, feature_names=None, n_bins=10,
                 categorical="auto", eps=1e-4, streaming="auto", sample_size=100_000,
                 chunk_size=None):
    """One table of the drift of every feature from source to target, most shifted first.

    Parameters
    ----------
    X : array-like, sparse matrix, DataFrame, or Dask array or DataFrame of shape (n_samples, n_features)
        Source and target rows, stacked. Missing values (``NaN``) are
        counted as missing (a PSI bin of their own), not as values.
    y : array-like of shape (n_samples,), default=None
        Labels, ``-1`` (or ``NaN``) on target rows; only used to find them
        when ``sample_domain`` is not given. A Dask array or Series is
        computed (one value per row).
    sample_domain : array-like of int of shape (n_samples,), default=None
        Domain of each row: positive for source, negative for target. A Dask
        array or Series is computed (one value per row).
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
    report : pandas.DataFrame
        One row per feature (the index, named ``"feature"``), sorted by
        decreasing PSI, with columns ``psi``, ``band`` (``"stable"`` below
        0.1, ``"moderate"`` below 0.25, ``"significant"`` from 0.25),
        ``ks_statistic`` and ``ks_pvalue`` (:func:`ks_drift`),
        ``source_mean`` and ``target_mean`` (of the non-missing values;
        ``NaN`` for categorical features), ``source_missing`` and
        ``target_missing`` (shares of missing values) and ``kind``
        (``"numeric"`` or ``"categorical"``). ``report.attrs`` holds
        ``"method"`` (``"exact"`` or ``"streaming"``), ``"n_source"`` and
        ``"n_target"`` (rows), and ``"ks_error_bound"`` (feature -> the bound
        of the Notes; 0.0 when exact, NaN for categorical features).

    Raises
    ------
    ImportError
        If pandas is not installed.
    ValueError
        If the domains cannot be found, ``X`` has no feature, or a numeric
        feature has infinite values.

    Warns
    -----
    UserWarning
        When a numeric feature has no non-missing value in the source or the
        target rows (its KS statistic, p-value and mean are then ``NaN``).

    Notes
    -----
    {streaming_notes}

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.diagnostics import drift_report
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(500, 3)), rng.normal(size=(500, 3)) + [0.0, 1.0, 0.0]
    >>> report = drift_report(*stack_domains(Xs, np.zeros(500, dtype=int), Xt))
    >>> report.index[0], report["band"].iloc[0]
    ('x1', 'significant')

    Read chunk by chunk, the same rows give the same table (they fit in the
    sample, so nothing is approximated):

    >>> streamed = drift_report(*stack_domains(Xs, np.zeros(500, dtype=int), Xt),
    ...                         streaming=True, chunk_size=128)
    >>> streamed.attrs["method"], bool(np.allclose(streamed["psi"], report["psi"]))
    ('streaming', True)
    """
    pd = _pandas("drift_report")
    _check_psi_params(n_bins, eps)
    stream = _check_stream_params(streaming, sample_size, (X,))
    data, sd = _domain_rows(X, y, sample_domain, "drift_report")
    groups = (sd < 0).astype(np.int8)  # one byte per row: the only array as long as the data
    del sd
    n_features = len(data.columns) if hasattr(data, "columns") else data.shape[1]
    names = _feature_names(X, feature_names, n_features)
    summaries, method = _group_summaries(
        data, groups, 2, names, n_bins=n_bins, eps=eps, categorical=categorical, streaming=stream,
        sample_size=sample_size, chunk_size=chunk_size, who="drift_report")
    rows = []
    for name, summary in zip(names, summaries):
        psi = summary["psi"][0]
        ks, pvalue, _ = summary["ks"][0]
        rows.append({
            "feature": name,
            "psi": psi,
            "band": _psi_band(psi),
            "ks_statistic": ks,
            "ks_pvalue": pvalue,
            "source_mean": summary["means"][0],
            "target_mean": summary["means"][1],
            "source_missing": float(summary["missing"][0]),
            "target_missing": float(summary["missing"][1]),
            "kind": summary["kind"],
        })
    report = pd.DataFrame(rows).set_index("feature")
    report = report.sort_values("psi", ascending=False, kind="stable")
    report.attrs = {
        "method": method,
        "n_source": int(np.sum(groups == 0)),
        "n_target": int(np.sum(groups == 1)),
        "ks_error_bound": {name: float(s["ks"][0][2]) for name, s in zip(names, summaries)},
    }
    return report
