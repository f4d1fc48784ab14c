"""CORrelation ALignment (Sun, Feng & Saenko 2016)."""

from numbers import Real

import numpy as np
from sklearn.base import OneToOneFeatureMixin

from .._linalg import (
    covariance_from_centred,
    covariance_from_moments,
    long_row_runs,
    masked_covariances,
    oas_shrinkage,
    shrink_toward_identity,
    symmetric_power,
)
from ..base import BaseAdapter
from ._moments import SufficientStatisticsMixin

_CHUNK_BYTES = 8 * 2**20


class CORAL(SufficientStatisticsMixin, OneToOneFeatureMixin, BaseAdapter):
    """CORrelation ALignment: re-colour source rows to the target covariance.

    CORAL whitens the source rows with the inverse square root of the
    regularised source covariance and re-colours them with the square root of
    the regularised target covariance::

        X_source @ (C_s + reg I)^(-1/2) @ (C_t + reg I)^(1/2)

    Target rows are left as they are, so a classifier trained on the adapted
    source rows is applied to raw target rows. Only second-order statistics
    are aligned; standardise the features first, as the paper does.

    The fit needs only each domain's row count, sum and Gram matrix
    (``X.T @ X``), statistics that add up over row chunks: ``X`` may be a
    Dask array or DataFrame, whose chunks' statistics are computed on the
    workers (a cluster's, when a ``dask.distributed`` client is active), with
    the result of the fit in memory (up to the rounding of the sums);
    ``transform`` of a Dask input is a Dask array, mapped chunk by chunk.

    Parameters
    ----------
    reg : float or "auto", default=1.0
        Added to the diagonal of both covariances (``lambda = 1``, the
        identity of the paper). ``0`` aligns the covariances exactly.
        ``"auto"`` instead shrinks each covariance toward a multiple of the
        identity by the Oracle Approximating Shrinkage amount (Chen et al.
        2010), estimated from the data: strong for a domain with fewer rows
        than features, weak for a large one.

    Attributes
    ----------
    covariance_source_ : ndarray of shape (n_features, n_features)
        Covariance of the source rows seen in ``fit`` (before regularisation).
    covariance_target_ : ndarray of shape (n_features, n_features)
        Covariance of the target rows seen in ``fit`` (before regularisation).
    shrinkage_ : tuple of two floats or None
        With ``reg="auto"``, the shrinkage of the source and target covariances.
    recoloring_ : ndarray of shape (n_features, n_features)
        The matrix that source rows are multiplied with, of the dtype of
        the fitted ``X``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    make_da_pipeline : put CORAL before any sklearn estimator.

    References
    ----------
    .. [1] B. Sun, J. Feng and K. Saenko, "Return of Frustratingly Easy Domain
       Adaptation", AAAI 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import CORAL, stack_domains
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(200, 2))
    >>> Xt = rng.normal(size=(200, 2)) * [1.0, 5.0]
    >>> X, y, _ = stack_domains(Xs, np.zeros(200, dtype=int), Xt)
    >>> X_new = CORAL(reg=0).fit_transform(X, y)
    >>> np.allclose(np.cov(X_new[:200].T), np.cov(Xt.T))
    True

    The same fit from a Dask array read 100 rows at a time:

    >>> import dask.array as da
    >>> lazy = CORAL(reg=0).fit(da.from_array(X, chunks=(100, 2)), y)
    >>> np.allclose(lazy.recoloring_, CORAL(reg=0).fit(X, y).recoloring_)
    True
    """

    def __init__(self, reg=1.0):
        self.reg = reg

    def _check_reg(self):
        if self.reg != "auto" and (
            not isinstance(self.reg, Real) or isinstance(self.reg, bool) or not self.reg >= 0
        ):
            raise ValueError(f"reg must be a non-negative number or 'auto', got {self.reg!r}.")

    def _fit(self, X, y, source, target):
        self._check_reg()
        _, (cov_source, cov_target) = masked_covariances(X, [source, target])
        self._fit_covariances(cov_source, cov_target, int(source.sum()), int(target.sum()), X.dtype)

    def _fit_dask_statistics(self, chunks, has_target, dtype):
        self._check_reg()
        moments = self._moments(chunks, dtype, "gram")
        if not has_target:  # the source is its own target, as in memory
            moments[1] = moments[0]
        counts = [moments[g][0] for g in (0, 1)]
        fitted = [covariance_from_moments(*moments[g]) for g in (0, 1)]
        if any(cov is None for _, cov in fitted):
            # means far from zero (or float32 data): centre the rows on the means first
            centred = self._moments(chunks, dtype, "centred", centres=[mean for mean, _ in fitted])
            if not has_target:
                centred[1] = centred[0]
            fitted = [(mean, cov if cov is not None else covariance_from_centred(counts[g], *centred[g]))
                      for g, (mean, cov) in enumerate(fitted)]
        cov_source, cov_target = [(cov + cov.T) / 2 for _, cov in fitted]
        self._fit_covariances(cov_source, cov_target, counts[0], counts[1], np.dtype(dtype))

    def _fit_covariances(self, cov_source, cov_target, n_source, n_target, dtype):
        self.covariance_source_ = cov_source
        self.covariance_target_ = cov_target
        if self.reg == "auto":
            self.shrinkage_ = (
                oas_shrinkage(cov_source, n_source),
                oas_shrinkage(cov_target, n_target),
            )
            cov_source = shrink_toward_identity(cov_source, self.shrinkage_[0])
            cov_target = shrink_toward_identity(cov_target, self.shrinkage_[1])
            reg = 0.0
        else:
            self.shrinkage_ = None
            reg = self.reg
        self.recoloring_ = (
            symmetric_power(cov_source, -0.5, reg) @ symmetric_power(cov_target, 0.5, reg)
        ).astype(dtype, copy=False)

    def _transform(self, X, sample_domain):
        source = sample_domain > 0
        recoloring = self.recoloring_.astype(X.dtype, copy=False)
        if source.all():
            return X @ recoloring
        runs = long_row_runs(source)
        if runs is not None:
            # stacked domains: multiply the source runs straight into the output
            out = np.empty_like(X)
            for start, stop, is_source in runs:
                if is_source:
                    np.matmul(X[start:stop], recoloring, out=out[start:stop])
                else:
                    out[start:stop] = X[start:stop]
            return out
        out = np.array(X, copy=True)
        step = max(256, _CHUNK_BYTES // (X.itemsize * max(X.shape[1], 1)))
        for start in range(0, X.shape[0], step):
            rows = source[start:start + step]
            chunk = out[start:start + step]
            chunk[rows] = chunk[rows] @ recoloring
        return out
