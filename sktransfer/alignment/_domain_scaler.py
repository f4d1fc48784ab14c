"""Standardisation of each domain with its own statistics."""

import numpy as np
from sklearn.base import OneToOneFeatureMixin

from .._linalg import masked_means_and_scales
from ..base import BaseAdapter


class DomainStandardScaler(OneToOneFeatureMixin, BaseAdapter):
    """Standardise source rows with source statistics, target rows with target ones.

    The per-feature mean and standard deviation of each domain are removed:
    every shift of location and scale feature by feature is gone, the common
    preprocessing of domain adaptation benchmarks (Office-Caltech's "z-score
    each domain") and the one CORAL assumes. All source domains share one set
    of statistics. A feature that is constant in a domain is centred and left
    unscaled.

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

    def _transform(self, X, sample_domain):
        source = (sample_domain > 0)[:, np.newaxis]
        mean = np.where(source, self.mean_source_, self.mean_target_).astype(X.dtype, copy=False)
        scale = np.where(source, self.scale_source_, self.scale_target_).astype(X.dtype, copy=False)
        return (X - mean) / scale
