"""Columns and domain rows: how the diagnostics read their inputs.

Shared by the drift statistics, the domain classifier and the report: a
feature's values as numbers or categories, the source and target rows of
stacked data under the domain convention, and feature names.
"""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp


class _MissingType:
    """The category of missing values: one object, also after a pickle round
    trip (to and from the workers of a Dask cluster)."""

    def __repr__(self):
        return "<missing>"

    def __reduce__(self):
        return "_MISSING"


_MISSING = _MissingType()


def _columns(data, name):
    """Split 1-D or 2-D data (array or DataFrame) into columns.

    Returns ``(columns, names, is_1d)``: a list of 1-D arrays, the column
    names (None for arrays), and whether the input was one feature.
    """
    if sp.issparse(data):
        if data.ndim != 2:  # pragma: no cover - scipy's sparse arrays are 2-D
            raise ValueError(f"{name} must be 2-D (rows x features), got shape {data.shape}.")
        _check_has_features(data.shape, name)
        csc = sp.csc_matrix(data)
        return [csc[:, [j]].toarray().ravel() for j in range(csc.shape[1])], None, False, \
            [csc.dtype] * csc.shape[1]
    if hasattr(data, "iloc") and hasattr(data, "columns"):  # DataFrame
        _check_has_features(data.shape, name)
        return [data.iloc[:, j].to_numpy() for j in range(data.shape[1])], \
            [str(c) for c in data.columns], False, [data.dtypes.iloc[j] for j in range(data.shape[1])]
    if hasattr(data, "iloc"):  # Series
        return [data.to_numpy()], [str(data.name)] if data.name is not None else None, True, [data.dtype]
    arr = np.asarray(data)
    if arr.ndim == 1:
        return [arr], None, True, [arr.dtype]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D (one feature) or 2-D (rows x features), got shape {arr.shape}.")
    _check_has_features(arr.shape, name)
    return [arr[:, j] for j in range(arr.shape[1])], None, False, [arr.dtype] * arr.shape[1]


def _check_has_features(shape, name):
    if shape[1] == 0:
        raise ValueError(
            f"{name} has 0 features (shape {tuple(shape)}): there is nothing to compare; "
            "pass at least one column."
        )


def _is_missing(value):
    """None, NaN, NaT or pandas.NA."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas.NA refuses bool()
        return True


def _as_numeric(values):
    """Float array of a column, or None if some non-missing value is not a number."""
    if values.dtype.kind in "iuf":
        return values.astype(np.float64, copy=False)
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        if _is_missing(v):
            out[i] = np.nan
        elif isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)):
            out[i] = float(v)
        else:
            return None
    return out


def _column_kind(source, target, dtype, categorical, name):
    """``("numeric", s, t)`` with float arrays, or ``("categorical", s, t)``."""
    if categorical not in ("auto", True, False):
        raise ValueError(f"categorical must be 'auto', True or False, got {categorical!r}.")
    if categorical is True:
        return "categorical", source, target
    if str(dtype) in ("category", "boolean") or getattr(dtype, "kind", None) == "b":
        s = t = None  # categories and booleans are categories even when they look numeric
    else:
        s, t = _as_numeric(source), _as_numeric(target)
    if s is None or t is None:
        if categorical is False:
            raise _not_numeric_error(name, dtype)
        return "categorical", source, target
    for arr in (s, t):
        if np.isinf(arr).any():
            raise _infinite_error(name)
    return "numeric", s, t


def _not_numeric_error(name, dtype):
    return ValueError(
        f"Feature {name!r} is not numeric (dtype {dtype}). Pass categorical='auto' to "
        "compute its PSI over its categories, or encode it."
    )


def _infinite_error(name):
    return ValueError(
        f"Feature {name!r} has infinite values; replace them (e.g. with NaN, which "
        "gets a bin of its own) before measuring drift."
    )


def _category_key(v):
    return _MISSING if _is_missing(v) else v


def _paired_columns(source, target):
    s_cols, s_names, s_1d, s_dtypes = _columns(source, "source")
    t_cols, t_names, t_1d, _ = _columns(target, "target")
    if s_1d != t_1d or len(s_cols) != len(t_cols):
        raise ValueError(
            f"source and target must have the same features: source has {len(s_cols)} "
            f"column(s), target {len(t_cols)}."
        )
    if s_names is not None and t_names is not None and s_names != t_names:
        raise ValueError(
            "source and target DataFrames must have the same columns in the same order; "
            f"they differ: {sorted(set(s_names) ^ set(t_names)) or 'same names, other order'}."
        )
    if len(s_cols[0]) == 0 or len(t_cols[0]) == 0:
        raise ValueError("source and target must both have at least one row.")
    names = s_names or t_names or [f"x{j}" for j in range(len(s_cols))]
    return s_cols, t_cols, names, s_1d, s_dtypes


def _warn_if_no_values(name, source_values, target_values, who):
    empty = [side for side, values in (("source", source_values), ("target", target_values)) if values.size == 0]
    if empty:
        warnings.warn(
            f"{who}: feature {name!r} has no non-missing value in the {' and the '.join(empty)} "
            "rows; its KS statistic, p-value and mean are NaN.",
            UserWarning,
            stacklevel=3,
        )


def _domain_rows(X, y, sample_domain, who):
    """``(data, sample_domain)``: ``X`` as a DataFrame, CSR matrix or 2-D
    array, and the checked domain id of each row (no zero; source and target
    rows both present)."""
    from .._domain import derive_sample_domain
    from ._streaming import compute_rows, dask_shape, is_dask_collection

    if y is None and sample_domain is None:
        raise ValueError(
            f"{who} needs to know which rows are target rows: pass y with the target "
            "labels masked (-1, or NaN for regression), or sample_domain (negative "
            "ids for target rows)."
        )
    if is_dask_collection(X):
        # a Dask array or DataFrame stays lazy; its domain ids are computed (one per row)
        data = X
        if getattr(X, "ndim", 2) != 2:
            raise ValueError(
                f"{who}: X must be 2-D (rows x features), got a Dask collection of "
                f"{X.ndim} dimension(s); reshape one feature with X.reshape(-1, 1)."
            )
        shape = dask_shape(X)
        y = None if y is None else compute_rows(y)
        sample_domain = None if sample_domain is None else compute_rows(sample_domain)
    elif sp.issparse(X):
        data = sp.csr_matrix(X)
    elif hasattr(X, "iloc") and hasattr(X, "columns"):
        data = X
    else:
        data = np.asarray(X)
    if not is_dask_collection(data):
        if data.ndim != 2:
            raise ValueError(
                f"{who}: X must be 2-D (rows x features), got shape {data.shape}; "
                "reshape one feature with X.reshape(-1, 1)."
            )
        shape = data.shape
    _check_has_features(shape, "X")
    if y is not None and np.ndim(y) == 0:
        raise ValueError(f"{who}: y must be an array with one label per row, got {y!r}.")
    try:
        sd = derive_sample_domain(y, sample_domain, n_samples=shape[0])
    except ValueError as exc:
        raise ValueError(f"{who}: {exc}") from None
    if not np.any(sd > 0):
        raise ValueError(
            f"{who}: No source rows: every row is marked as target (masked label or "
            "negative sample_domain). Give the source rows their labels, or positive "
            "sample_domain ids."
        )
    if not np.any(sd < 0):
        raise ValueError(f"{who}: No target rows: no row is masked or has a negative sample_domain.")
    return data, sd


def _take(data, rows):
    return data.iloc[rows] if hasattr(data, "iloc") else data[rows]


def _split(X, y, sample_domain, who):
    """Source and target rows of stacked data, with the domain module's rules."""
    data, sd = _domain_rows(X, y, sample_domain, who)
    return _take(data, np.flatnonzero(sd > 0)), _take(data, np.flatnonzero(sd < 0))


def _mean(values):
    """Mean of finite values, without overflow near the float64 limit; NaN if empty."""
    if values.size == 0:
        return np.nan
    scale = float(np.max(np.abs(values)))
    if scale == 0.0:
        return 0.0
    return float(np.mean(values / scale) * scale)


def _feature_names(X, feature_names, n_features):
    if feature_names is not None:
        names = [str(n) for n in feature_names]
        if len(names) != n_features:
            raise ValueError(f"feature_names has {len(names)} names but X has {n_features} features.")
        return names
    if hasattr(X, "columns"):
        return [str(c) for c in X.columns]
    return [f"x{j}" for j in range(n_features)]
