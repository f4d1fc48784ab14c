"""Characteristic analysis: what the target's mix of a feature's bins alone does to the outcome rate.

The scorecard monitoring question behind a PSI: the applicants moved, but
toward bins where the source defaulted more, or less? With the source's
positive rate ``r_i`` in each bin ``i`` of a feature, its source share
``e_i`` and target share ``a_i``, the rate the target's mix implies is
``sum_i a_i r_i`` against the source's ``sum_i e_i r_i``. A univariate
what-if under an unchanged rate per bin, not a forecast.
"""

import numpy as np

from ._columns import _MISSING, _as_numeric, _category_key


def _bins(source, target, n_bins):
    """Bin index of each source and target value: the PSI's bins (deciles of
    the source, right-closed, one bin of missing values) for numbers, the
    categories otherwise (a target category the source lacks gets -1)."""
    s_num, t_num = _as_numeric(source), _as_numeric(target)
    if s_num is not None and t_num is not None:
        s_ok = s_num[~np.isnan(s_num)]
        edges = (np.unique(np.quantile(s_ok, np.linspace(0.0, 1.0, n_bins + 1)[1:-1]))
                 if s_ok.size else np.array([]))
        missing_bin = edges.size + 1

        def index(values):
            out = np.full(values.size, missing_bin, dtype=np.int64)
            ok = ~np.isnan(values)
            out[ok] = np.searchsorted(edges, values[ok], side="left")
            return out

        return index(s_num), index(t_num)
    s_keys = [_category_key(v) for v in source]
    seen = {}
    for k in s_keys:
        seen.setdefault(_MISSING if k is _MISSING else str(k), len(seen))

    def lookup(keys):
        return np.array([seen.get(_MISSING if k is _MISSING else str(k), -1) for k in keys], dtype=np.int64)

    return lookup(s_keys), lookup([_category_key(v) for v in target])


def positive_of(labels):
    """Positive (the larger of two values) of each row: 1.0, 0.0, or NaN where unknown.

    Raises ValueError unless the known labels take exactly two values.
    """
    labels = np.asarray(labels, dtype=float).ravel()
    known = np.isfinite(labels)
    values = np.unique(labels[known])
    if values.size != 2:
        raise ValueError(f"source_labels must take two values (NaN where unknown), got {values.size}: "
                         f"{values[:5].tolist()}.")
    out = np.full(labels.size, np.nan)
    out[known] = (labels[known] == values[1]).astype(float)
    return out


def characteristic_shift(source, target, positive, n_bins=10):
    """``(source_rate, implied_rate, uncovered)`` of one feature.

    ``positive`` holds 1.0 / 0.0 / NaN per source row (:func:`positive_of`).
    ``uncovered`` is the share of target rows in bins with no labelled
    source row (left out of the implied rate, whose weights are renormalised).
    """
    s_bin, t_bin = _bins(np.asarray(source), np.asarray(target), n_bins)
    known = np.isfinite(positive)
    size = int(max(s_bin.max(initial=0), t_bin.max(initial=0))) + 1
    labelled = np.bincount(s_bin[known], minlength=size).astype(float)
    hits = np.bincount(s_bin[known], weights=positive[known], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = hits / labelled
    covered = t_bin >= 0
    covered[covered] = labelled[t_bin[covered]] > 0
    source_rate = float(hits.sum() / labelled.sum()) if labelled.sum() else np.nan
    if not covered.any():
        return source_rate, np.nan, 1.0
    t_counts = np.bincount(t_bin[covered], minlength=size).astype(float)
    implied = float(np.nansum(t_counts * np.nan_to_num(rate)) / t_counts.sum())
    return source_rate, implied, float(1.0 - covered.mean())
