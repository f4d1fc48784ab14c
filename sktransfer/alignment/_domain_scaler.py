"""Standardisation of each domain with its own statistics."""

import numpy as np
from sklearn.base import OneToOneFeatureMixin

from .._linalg import masked_means_and_scales, scale_from_moments, unit_scale
from ..base import BaseAdapter
from ._moments import SufficientStatisticsMixin


class DomainStandardScaler(SufficientStatisticsMixin, OneToOneFeatureMixin, BaseAdapter):
    """Standardise source rows with source statistics, target rows with target ones.

    The per-feature mean and standard deviation of each domain are removed:
    every shift of location and scale feature by feature is gone, the common
    preprocessing of domain adaptation benchmarks (Office-Caltech's "z-score
    each domain") and the one CORAL assumes. All source domains share one set
    of statistics. A feature that is constant in a domain is centred and left
    unscaled.

    ``X`` may be a Dask array or DataFrame: each domain's count, sum, largest
    absolute value and sum of squared deviations are added up over the chunks
    (two passes, on the workers), for the statistics of the fit in memory up
    to rounding; ``transform`` of a Dask input is a Dask array.

    Attributes
    ----------
    mean_source_, mean_target_ : ndarray of shape (n_features,)
        Per-feature means of the source and target rows.
    scale_source_, scale_target_ : ndarray of shape (n_features,)
        Per-feature standard deviations (``ddof=0``; 1 for a constant feature).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import DomainStandardScaler, stack_domains
    >>> X, y, _ = stack_domains(np.array([[0.0], [2.0]]), [0, 1], np.array([[10.0], [30.0]]))
    >>> DomainStandardScaler().fit_transform(X, y).ravel()
    array([-1.,  1., -1.,  1.])
    """

    def __init__(self):
        pass

    def _fit(self, X, y, source, target):
        (self.mean_source_, self.mean_target_), (self.scale_source_, self.scale_target_) = (
            masked_means_and_scales(X, [source, target])
        )

    def _fit_dask_statistics(self, chunks, has_target, dtype):
        first = self._moments(chunks, dtype, "first")
        if not has_target:  # the source is its own target, as in memory
            first[1] = first[0]
        means = [total / max(count, 1) for count, total, _ in first]
        squares = self._moments(chunks, dtype, "squares", centres=means)
        if not has_target:
            squares[1] = squares[0]
        scales = [unit_scale(scale_from_moments(first[g][0], *squares[g]), first[g][2]) for g in (0, 1)]
        (self.mean_source_, self.mean_target_), (self.scale_source_, self.scale_target_) = means, scales

    def _transform(self, X, sample_domain):
        source = (sample_domain > 0)[:, np.newaxis]
        mean = np.where(source, self.mean_source_, self.mean_target_).astype(X.dtype, copy=False)
        scale = np.where(source, self.scale_source_, self.scale_target_).astype(X.dtype, copy=False)
        return (X - mean) / scale
