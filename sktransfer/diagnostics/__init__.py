"""Shift diagnostics: how far the source and target domains differ, and where.

Two kinds of functions, with one API each:

- two-sample statistics of a feature, :func:`population_stability_index`
  and :func:`ks_drift`, take the two samples as they come:
  ``(source, target)`` arrays of one feature (1-D) or of several (2-D, one
  value per column), or DataFrames with the same columns;
- data-level diagnostics, :func:`domain_classifier_auc` and
  :func:`drift_report`, take stacked data with the package's domain
  convention, ``(X, y=None, sample_domain=None)``: target rows have a masked
  label (``-1``, or ``NaN`` for regression) or a negative ``sample_domain``.
  Separate arrays are stacked with ``stack_domains``, e.g.
  ``drift_report(*stack_domains(Xs, ys, Xt))``. Several source (or target)
  domains are pooled.

Columns: numeric columns (with ``NaN`` allowed: missing values get a bin of
their own in the PSI, and are left out of the KS test) and categorical ones
(in a DataFrame: ``object``, ``string``, ``category`` or ``bool`` dtypes; in
an object array: columns whose values are not all numbers). With
``categorical="auto"`` (default) categorical columns are handled: their PSI
is computed over the categories, their KS statistic is ``NaN``. With
``categorical=False`` they are an error naming them. Infinite values are an
error. Sparse matrices are read column by column (the per-feature
statistics) or used as they are (:func:`domain_classifier_auc`).

The package holds one module per concern: ``_drift`` (PSI, KS, the drift
report), ``_domain_classifier``, ``_performance`` (label-free target-score
estimates, with ``_confidence``), ``_ppi`` (prediction-powered intervals),
``_plots``, and ``_columns`` (how inputs are read).
"""

from ._domain_classifier import domain_classifier_auc
from ._drift import PSI_BANDS, drift_report, ks_drift, population_stability_index
from ._periods import drift_by_period, plot_drift_over_time
from ._performance import TargetScoreEstimate, estimate_target_score
from ._ppi import PredictionPoweredInterval, prediction_powered_interval
from ._html import html_report, render_html_report
from ._plots import plot_distributions, plot_drift

__all__ = [
    "TargetScoreEstimate",
    "estimate_target_score",
    "PredictionPoweredInterval",
    "prediction_powered_interval",
    "PSI_BANDS",
    "population_stability_index",
    "ks_drift",
    "domain_classifier_auc",
    "drift_report",
    "drift_by_period",
    "plot_drift_over_time",
    "plot_drift",
    "plot_distributions",
    "render_html_report",
    "html_report",
]
