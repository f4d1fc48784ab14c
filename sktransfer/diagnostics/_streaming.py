"""The drift statistics computed chunk by chunk, and row samples of large inputs.

Stacked data too large to copy (a large DataFrame) or not in memory at all (a
Dask DataFrame or array) is read chunk by chunk (``sktransfer._chunks``):
every pass maps a function over the row chunks (on a Dask cluster, as tasks
on its workers) and adds up small results, so that memory holds one chunk and
a few histograms, never all rows. Only the domain id of each row (one integer
per row) is held whole.

The drift statistics take two passes:

1. a uniform sample of each group's rows (at most ``sample_size`` rows, all of
   them when the group is smaller), with the categories counted;
2. histograms of every numeric feature on fine bins: the PSI bins (quantiles
   of the source sample) and ``_KS_LEVELS`` quantiles of the pooled samples.

When every group fits in its sample, the sample is all the rows and the
statistics are computed exactly as for data in memory.
"""

import numbers

import numpy as np

from .._chunks import (  # noqa: F401 - compute_rows, dask_shape, is_dask_collection are used by siblings
    RowChunks,
    chunk_column,
    compute_rows,
    dask_shape,
    is_dask_collection,
    partition_lengths,
)
from ._columns import _as_numeric, _category_key, _mean

#: Quantile levels of the fine histogram on which the streamed KS statistic is read.
_KS_LEVELS = 4096
#: Seed of the row samples: the same data gives the same report run to run.
_SAMPLE_SEED = 20240101


def check_streaming(streaming):
    if streaming not in ("auto", True, False):
        raise ValueError(f"streaming must be 'auto', True or False, got {streaming!r}.")
    return streaming


# ---- pass 1: samples and categories -------------------------------------------------


def _row_uniforms(positions):
    """A uniform number in [0, 1) for each row position (splitmix64 of the
    position and a fixed seed): the sample of a row does not depend on how
    the rows are chunked, so Dask partitions and chunks of data in memory
    sample the same rows."""
    with np.errstate(over="ignore"):
        z = positions.astype(np.uint64) + np.uint64(_SAMPLE_SEED) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _sample_pass(chunk, groups, offset, n_groups, rates, numeric_candidates, need_categories):
    """Sampled values of every column per group, whether each object column
    holds numbers only, and the category counts of the columns that may be
    categorical."""
    uniforms = _row_uniforms(np.arange(offset, offset + groups.size))
    keep = np.zeros(groups.size, dtype=bool)
    for g in range(n_groups):
        keep |= (groups == g) & (uniforms < rates[g])
    n_cols = chunk.shape[1]
    samples = [[None] * n_cols for _ in range(n_groups)]
    numeric_ok = np.ones(n_cols, dtype=bool)
    counts = [[None] * n_cols for _ in range(n_groups)]
    for j in range(n_cols):
        values = chunk_column(chunk, j)
        as_float = _as_numeric(values) if numeric_candidates[j] else None
        numeric_ok[j] = as_float is not None
        for g in range(n_groups):
            rows = groups == g
            if as_float is not None:
                samples[g][j] = as_float[rows & keep]
            if need_categories[j]:
                column_counts = {}
                for v in values[rows]:
                    key = _category_key(v)
                    column_counts[key] = column_counts.get(key, 0) + 1
                counts[g][j] = column_counts
    return samples, numeric_ok, counts


def _merge_counts(left, right):
    """Category counts of two chunks, in order of first appearance."""
    if left is None:
        return right
    total = dict(left)
    for key, n in right.items():
        total[key] = total.get(key, 0) + n
    return total


def _combine_samples(left, right):
    # a column with a non-number in some chunk has no sample (it is categorical)
    samples = [[None if a is None or b is None else np.concatenate([a, b]) for a, b in zip(ga, gb)]
               for ga, gb in zip(left[0], right[0])]
    counts = [[None if a is None else _merge_counts(a, b) for a, b in zip(ga, gb)]
              for ga, gb in zip(left[2], right[2])]
    return samples, left[1] & right[1], counts


# ---- pass 2: fine histograms ----------------------------------------------------------


def _histogram_pass(chunk, groups, offset, n_groups, edges):
    """Per numeric column ``j`` (``edges[j]`` not None) and group: bin counts
    (right-closed bins on ``edges[j]``), counts of values equal to a bin's
    right edge, missing and infinite counts, and ``(count, mean)`` of the
    non-missing values."""
    out = {}
    for j, column_edges in enumerate(edges):
        if column_edges is None:
            continue
        values = _as_numeric(chunk_column(chunk, j))
        per_group = []
        for g in range(n_groups):
            v = values[groups == g]
            missing = np.isnan(v)
            v = v[~missing]
            n_inf = int(np.isinf(v).sum())
            where = np.searchsorted(column_edges, v, side="left")
            counts = np.bincount(where, minlength=column_edges.size + 1)
            inside = where < column_edges.size
            at_edge = np.bincount(where[inside][v[inside] == column_edges[where[inside]]],
                                  minlength=column_edges.size)
            finite = v[np.isfinite(v)]
            per_group.append((counts, at_edge, int(missing.sum()), n_inf, finite.size, _mean(finite)))
        out[j] = per_group
    return out


def _combine_histograms(left, right):
    """Two chunks' histograms added up; their means weighted by their counts
    (without overflow near the float64 limit)."""
    out = {}
    for j, groups in left.items():
        merged = []
        for a, b in zip(groups, right[j]):
            n = a[4] + b[4]
            if n == 0:
                mean = np.nan
            else:
                mean = sum(m * (k / n) for k, m in ((a[4], a[5]), (b[4], b[5])) if k)
            merged.append((a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], n, mean))
        out[j] = merged
    return out


def ks_from_histograms(counts_a, at_edge_a, counts_b, at_edge_b):
    """KS statistic of two samples from their counts on the same right-closed
    bins, and a bound on its error.

    The empirical distribution functions are exact at every bin edge, so the
    largest difference there, ``d``, is a lower bound of the statistic
    ``D``. Between two edges a distribution function rises by at most the
    share of its rows strictly inside the bin, so
    ``D <= max_i(|d_{i-1}| + max(inside_a_i, inside_b_i))``: the error
    returned is that bound minus ``d`` (zero when no row falls strictly
    inside a bin, as for a feature whose distinct values are all edges).
    """
    n_a, n_b = counts_a.sum(), counts_b.sum()
    cdf_a = np.cumsum(counts_a[:-1]) / n_a
    cdf_b = np.cumsum(counts_b[:-1]) / n_b
    diff = np.abs(cdf_a - cdf_b)
    statistic = float(diff.max(initial=0.0))
    inside_a = (counts_a - np.r_[at_edge_a, 0]) / n_a
    inside_b = (counts_b - np.r_[at_edge_b, 0]) / n_b
    before = np.r_[0.0, diff]
    upper = float(np.max(before + np.maximum(inside_a, inside_b)))
    return statistic, max(upper - statistic, 0.0)


def ks_pvalue(statistic, n_a, n_b):
    """Two-sided p-value of the KS statistic, with Smirnov's asymptotic
    distribution (``scipy.stats.ks_2samp(method="asymp")``)."""
    from scipy import stats

    m, n = sorted([float(n_a), float(n_b)], reverse=True)
    en = m * n / (m + n)
    return float(np.clip(stats.distributions.kstwo.sf(statistic, np.round(en)), 0.0, 1.0))


def streamed_columns(chunks, n_groups, *, categorical, n_bins, sample_size):
    """Per-feature summaries of every group of ``chunks``, in two passes.

    Returns a list of dicts, one per feature, with ``kind``; for a numeric
    feature either ``values`` (every group's rows fit in the sample: the list
    of each group's values, to be treated exactly as data in memory) or the
    streamed ``psi_counts`` (per group: the PSI bin counts with the missing
    count last), ``n_rows``, ``ks`` (per target group: statistic, p-value,
    error bound, vs group 0), ``means`` and ``missing``; for a categorical
    one ``counts`` (per group, category -> count, in order of appearance).
    Raises the errors of data in memory on a non-numeric column with
    ``categorical=False`` and on infinite values.
    """
    from ._columns import _infinite_error, _not_numeric_error

    n_rows = chunks.group_counts(n_groups)
    if np.any(n_rows == 0):
        raise ValueError("source and target must both have at least one row.")
    rates = np.minimum(1.0, sample_size / n_rows)
    n_features = chunks.n_features
    numeric_candidates, need_categories = [], []
    for dtype in chunks.dtypes:
        fixed_category = categorical is True or str(dtype) in ("category", "boolean") \
            or getattr(dtype, "kind", None) == "b"
        numeric_dtype = getattr(dtype, "kind", None) in ("i", "u", "f") and not fixed_category
        numeric_candidates.append(not fixed_category)
        # an object column may hold numbers only (then numeric) or not (then categorical)
        need_categories.append(fixed_category or (not numeric_dtype and categorical is not False))
    all_samples, numeric_ok, all_counts = chunks.reduce(
        _sample_pass, _combine_samples, n_groups, rates, numeric_candidates, need_categories)
    columns = []
    for j in range(n_features):
        name = chunks.names[j] if chunks.names else f"x{j}"
        numeric = numeric_candidates[j] and numeric_ok[j]
        if not numeric:
            if categorical is False:
                raise _not_numeric_error(name, chunks.dtypes[j])
            counts = [all_counts[g][j] for g in range(n_groups)]
            columns.append({"kind": "categorical", "counts": counts, "n_rows": n_rows})
            continue
        samples = [all_samples[g][j] for g in range(n_groups)]
        if any(np.isinf(s).any() for s in samples):
            raise _infinite_error(name)
        if np.all(rates >= 1.0):
            columns.append({"kind": "numeric", "values": samples})
            continue
        source = samples[0][~np.isnan(samples[0])]
        if source.size:
            psi_edges = np.unique(np.quantile(source, np.linspace(0.0, 1.0, n_bins + 1)[1:-1]))
        else:
            psi_edges = np.array([])
        pooled = np.concatenate([s[~np.isnan(s)] for s in samples])
        fine = np.quantile(pooled, np.linspace(0.0, 1.0, _KS_LEVELS + 1)[1:-1]) if pooled.size else []
        columns.append({"kind": "numeric", "psi_edges": psi_edges,
                        "edges": np.unique(np.r_[psi_edges, fine]), "n_rows": n_rows,
                        "sample_rows": np.array([s.size for s in samples])})
    edges = [c.get("edges") for c in columns]
    if any(e is not None for e in edges):
        histograms = chunks.reduce(_histogram_pass, _combine_histograms, n_groups, edges)
        for j, column in enumerate(columns):
            if column.get("edges") is None:
                continue
            _finish_streamed_numeric(column, histograms[j], n_groups,
                                     chunks.names[j] if chunks.names else f"x{j}")
    return columns


def _finish_streamed_numeric(column, histogram, n_groups, name):
    from ._columns import _infinite_error

    edges, psi_edges = column["edges"], column["psi_edges"]
    counts = [histogram[g][0] for g in range(n_groups)]
    at_edge = [histogram[g][1] for g in range(n_groups)]
    missing = [histogram[g][2] for g in range(n_groups)]
    if any(histogram[g][3] for g in range(n_groups)):
        raise _infinite_error(name)
    # each fine bin (e_{i-1}, e_i] lies in the PSI bin of its right edge
    psi_bin = np.r_[np.searchsorted(psi_edges, edges, side="left"), psi_edges.size]
    column["psi_counts"] = [
        np.append(np.bincount(psi_bin, weights=c, minlength=psi_edges.size + 1).astype(np.int64), m)
        for c, m in zip(counts, missing)
    ]
    column["means"] = [float(histogram[g][5]) for g in range(n_groups)]
    column["missing"] = missing
    column["ks"] = []
    for g in range(1, n_groups):
        n_a, n_b = counts[0].sum(), counts[g].sum()
        if n_a == 0 or n_b == 0:
            column["ks"].append((np.nan, np.nan, np.nan))
            continue
        statistic, error = ks_from_histograms(counts[0], at_edge[0], counts[g], at_edge[g])
        column["ks"].append((statistic, ks_pvalue(statistic, n_a, n_b), error))


# ---- stratified row samples -----------------------------------------------------------


def stratified_sample_rows(sample_domain, max_rows, random_state, *, min_per_domain=1):
    """Sorted indices of a stratified sample of about ``max_rows`` rows.

    Each domain (each ``sample_domain`` id) keeps its share of the rows,
    rounded down, but at least ``min_per_domain`` rows (all of its rows when
    it has fewer); so the sample can exceed ``max_rows`` by the minimums of
    tiny domains. All rows when there are no more than ``max_rows``. Shared
    by the domain classifier and the target-score estimate.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.diagnostics._streaming import stratified_sample_rows
    >>> sd = np.r_[np.ones(900), -np.ones(100)].astype(int)
    >>> rows = stratified_sample_rows(sd, 100, random_state=0)
    >>> int((sd[rows] > 0).sum()), int((sd[rows] < 0).sum())
    (90, 10)
    """
    from sklearn.utils import check_random_state

    sample_domain = np.asarray(sample_domain)
    n = sample_domain.size
    if max_rows is None or n <= max_rows:
        return np.arange(n)
    rng = check_random_state(random_state)
    ids, counts = np.unique(sample_domain, return_counts=True)
    quota = np.floor(counts * (max_rows / n)).astype(np.int64)
    quota = np.minimum(np.maximum(quota, min_per_domain), counts)
    chosen = [rng.choice(np.flatnonzero(sample_domain == domain_id), size=int(k), replace=False)
              for domain_id, k in zip(ids, quota)]
    return np.sort(np.concatenate(chosen))


def check_max_rows(max_rows):
    if max_rows is not None and (
        not isinstance(max_rows, numbers.Integral) or isinstance(max_rows, bool) or max_rows < 2
    ):
        raise ValueError(f"max_rows must be an integer >= 2 or None, got {max_rows!r}.")
    return max_rows


def materialise(data):
    """A Dask array or DataFrame computed (numpy array or pandas DataFrame)."""
    if is_dask_collection(data):
        return data.compute()
    return data


def take_rows(data, rows):
    """The rows ``rows`` (sorted indices) of an array, sparse matrix or
    DataFrame, or of a Dask array or DataFrame (only the chunks that hold
    them are read, and only those rows are brought into memory)."""
    if not is_dask_collection(data):
        return data.iloc[rows] if hasattr(data, "iloc") else data[rows]
    import dask

    if hasattr(data, "columns"):
        lengths = partition_lengths(data)
        bounds = np.r_[0, np.cumsum(lengths)]
        which = np.searchsorted(bounds, rows, side="right") - 1
        parts = data.to_delayed()
        picks = [
            dask.delayed(lambda part, local: part.iloc[local])(parts[k], rows[which == k] - bounds[k])
            for k in np.unique(which)
        ]
        import pandas as pd

        computed = dask.compute(*picks)
        return pd.concat(computed) if computed else data._meta
    return data[rows].compute()
