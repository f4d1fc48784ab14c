"""Per-feature drift statistics: PSI, the KS test, and the drift report."""

import numbers

import numpy as np
from scipy import stats

from ._columns import (
    _MISSING,
    _category_key,
    _column_kind,
    _feature_names,
    _mean,
    _paired_columns,
    _split,
    _warn_if_no_values,
)


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


def _numeric_psi(source, target, n_bins, eps):
    s_missing, t_missing = np.isnan(source), np.isnan(target)
    s_values = source[~s_missing]
    if s_values.size:
        edges = np.unique(np.quantile(s_values, np.linspace(0.0, 1.0, n_bins + 1)[1:-1]))
    else:
        edges = np.array([])
    # right-closed bins (-inf, e1], (e1, e2], ..., (ek, inf), plus a bin of missing values
    n_value_bins = edges.size + 1

    def proportions(values, missing):
        counts = np.bincount(np.searchsorted(edges, values[~missing], side="left"), minlength=n_value_bins)
        counts = np.append(counts, missing.sum())
        return counts / max(len(values), 1)

    return _psi_from_proportions(proportions(source, s_missing), proportions(target, t_missing), eps)


def _categorical_psi(source, target, eps):
    s_keys = [_category_key(v) for v in source]
    t_keys = [_category_key(v) for v in target]
    categories = list(dict.fromkeys(s_keys + t_keys))
    index = {c: i for i, c in enumerate(categories)}

    def proportions(keys):
        counts = np.bincount([index[k] for k in keys], minlength=len(categories))
        return counts / max(len(keys), 1)

    return _psi_from_proportions(proportions(s_keys), proportions(t_keys), eps)


def _check_psi_params(n_bins, eps):
    if not isinstance(n_bins, numbers.Integral) or isinstance(n_bins, bool) or n_bins < 2:
        raise ValueError(f"n_bins must be an integer >= 2, got {n_bins!r}.")
    if not isinstance(eps, numbers.Real) or isinstance(eps, bool) or not 0 < eps < 1:
        raise ValueError(f"eps must be a number in (0, 1), got {eps!r}.")


def population_stability_index(source, target, n_bins=10, *, categorical="auto", eps=1e-4):
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
    source : array-like of shape (n_source,) or (n_source, n_features), or DataFrame
        The expected (reference) sample.
    target : array-like of shape (n_target,) or (n_target, n_features), or DataFrame
        The actual sample, with the same features.
    n_bins : int, default=10
        Number of quantile bins of numeric features.
    categorical : {"auto", True, False}, default="auto"
        ``"auto"``: non-numeric columns (object, string, category, bool
        dtypes, or object arrays holding non-numbers) are binned by category.
        ``True``: every column is. ``False``: non-numeric columns are an error.
    eps : float, default=1e-4
        Floor of a bin's share.

    Returns
    -------
    psi : float or ndarray of shape (n_features,)
        A float for 1-D inputs.

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
    """
    _check_psi_params(n_bins, eps)
    s_cols, t_cols, names, is_1d, dtypes = _paired_columns(source, target)
    values = []
    for s, t, name, dtype in zip(s_cols, t_cols, names, dtypes):
        kind, s, t = _column_kind(s, t, dtype, categorical, name)
        values.append(_numeric_psi(s, t, n_bins, eps) if kind == "numeric" else _categorical_psi(s, t, eps))
    return values[0] if is_1d else np.asarray(values)


def ks_drift(source, target, *, categorical="auto"):
    """Two-sample Kolmogorov-Smirnov test of each feature, source against target.

    ``scipy.stats.ks_2samp`` (two-sided, its default ``method="auto"``) on
    the non-missing values of each numeric feature. Categorical features (see
    :func:`population_stability_index`) and features with no value in one
    sample get ``NaN``.

    Parameters
    ----------
    source : array-like of shape (n_source,) or (n_source, n_features), or DataFrame
    target : array-like of shape (n_target,) or (n_target, n_features), or DataFrame
    categorical : {"auto", True, False}, default="auto"
        As for :func:`population_stability_index`.

    Returns
    -------
    statistic : float or ndarray of shape (n_features,)
        The largest distance between the two empirical distribution functions.
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


def drift_report(X, y=None, sample_domain=None, *, feature_names=None, n_bins=10,
                 categorical="auto", eps=1e-4):
    """One table of the drift of every feature from source to target, most shifted first.

    Parameters
    ----------
    X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
        Source and target rows, stacked. Missing values (``NaN``) are
        counted as missing (a PSI bin of their own), not as values.
    y : array-like of shape (n_samples,), default=None
        Labels, ``-1`` (or ``NaN``) on target rows; only used to find them
        when ``sample_domain`` is not given.
    sample_domain : array-like of int of shape (n_samples,), default=None
        Domain of each row: positive for source, negative for target.
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
        (``"numeric"`` or ``"categorical"``).

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
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a test dependency
        raise ImportError(
            "drift_report returns a pandas DataFrame and needs pandas: pip install pandas "
            "(or sktransfer[data])."
        ) from None
    _check_psi_params(n_bins, eps)
    Xs, Xt = _split(X, y, sample_domain, "drift_report")
    s_cols, t_cols, _, _, dtypes = _paired_columns(Xs, Xt)
    names = _feature_names(X, feature_names, len(s_cols))
    rows = []
    for s, t, name, dtype in zip(s_cols, t_cols, names, dtypes):
        kind, s, t = _column_kind(s, t, dtype, categorical, name)
        if kind == "numeric":
            psi = _numeric_psi(s, t, n_bins, eps)
            s_missing, t_missing = np.isnan(s), np.isnan(t)
            s_values, t_values = s[~s_missing], t[~t_missing]
            _warn_if_no_values(name, s_values, t_values, "drift_report")
            if s_values.size and t_values.size:
                result = stats.ks_2samp(s_values, t_values)
                ks, pvalue = float(result.statistic), float(result.pvalue)
            else:
                ks = pvalue = np.nan
            s_mean, t_mean = _mean(s_values), _mean(t_values)
        else:
            psi = _categorical_psi(s, t, eps)
            s_missing = np.array([_category_key(v) is _MISSING for v in s])
            t_missing = np.array([_category_key(v) is _MISSING for v in t])
            ks = pvalue = s_mean = t_mean = np.nan
        rows.append({
            "feature": name,
            "psi": psi,
            "band": _psi_band(psi),
            "ks_statistic": ks,
            "ks_pvalue": pvalue,
            "source_mean": s_mean,
            "target_mean": t_mean,
            "source_missing": float(s_missing.mean()),
            "target_missing": float(t_missing.mean()),
            "kind": kind,
        })
    report = pd.DataFrame(rows).set_index("feature")
    return report.sort_values("psi", ascending=False, kind="stable")
