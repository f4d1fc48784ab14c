"""Fitting alignment transformers on Dask collections from sufficient statistics.

CORAL needs the count, sum and Gram matrix of each domain's rows, the domain
scaler the count, sum and sum of squares: statistics that add up over row
chunks. On a Dask array or DataFrame every chunk's statistics are computed as
a task (on the workers of a cluster) and only those small matrices come
back, so the fit scales out and never holds the rows; the parameters are
then those of the fit in memory (up to the rounding of the sums). The same
formulas (``sktransfer._linalg``) serve both.
"""

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from .._chunks import RowChunks, compute_rows, dask_shape, is_dask_collection
from .._validation import check_magnitude


def _validated_block(chunk, dtype, who):
    """A chunk as a validated 2-D float array: the checks of the fit in memory."""
    values = chunk.to_numpy() if hasattr(chunk, "to_numpy") else np.asarray(chunk)
    values = check_array(values, dtype=dtype, estimator=who, input_name="X")
    check_magnitude(values, who=who)
    return values


def _moments_task(chunk, groups, offset, n_groups, dtype, who, kind, centres):
    """Per group, the sufficient statistics of one chunk's rows.

    ``kind``: ``"gram"`` (count, sum, Gram matrix: ``None`` for float32
    data, whose covariance is taken on centred rows), ``"centred"`` (the Gram
    matrix of the rows minus ``centres[g]`` and the sum of those rows),
    ``"first"`` (count, sum, largest absolute value per feature) or
    ``"squares"`` (sum of squared deviations from ``centres[g]`` and the sum
    of the deviations).
    """
    from .._linalg import centred_moments, gram_moments

    values = _validated_block(chunk, dtype, who)
    n_features = values.shape[1]
    out = []
    for g in range(n_groups):
        rows = values[groups == g]
        if kind == "gram":
            if values.dtype == np.float64:
                out.append(gram_moments([rows], n_features))
            else:
                out.append((rows.shape[0], rows.sum(axis=0, dtype=np.float64), None))
        elif kind == "centred":
            out.append(centred_moments([rows], centres[g], n_features))
        elif kind == "first":
            out.append((rows.shape[0], rows.sum(axis=0, dtype=np.float64),
                        np.abs(rows).max(axis=0, initial=0.0).astype(np.float64)))
        else:
            deviations = np.subtract(rows, centres[g], dtype=np.float64)
            out.append(((deviations**2).sum(axis=0), deviations.sum(axis=0)))
    return out


def _add_moments(left, right):
    """Two chunks' statistics added up, group by group (``None`` stays ``None``)."""
    return [[None if a is None else a + b for a, b in zip(ga, gb)] for ga, gb in zip(left, right)]


class SufficientStatisticsMixin:
    """``fit`` and ``transform`` of a Dask array or DataFrame for an adapter
    that fits from per-domain sufficient statistics.

    The adapter implements ``_fit_dask_statistics(chunks, has_target, dtype)``
    and its usual ``_transform``. ``fit`` of anything else is the adapter's
    own.
    """

    def fit(self, X, y=None, sample_domain=None):
        """Learn the adaptation from source and target rows (see the class
        documentation); ``X`` may also be a Dask array or DataFrame."""
        if not is_dask_collection(X):
            return super().fit(X, y, sample_domain)
        self._fit_dask(X, y, sample_domain)
        return self

    def fit_transform(self, X, y=None, sample_domain=None):
        """Fit, then map the same rows with the domains seen in ``fit`` (a
        Dask array, lazily, for a Dask input)."""
        if not is_dask_collection(X):
            return super().fit_transform(X, y, sample_domain)
        sd = self._fit_dask(X, y, sample_domain)
        return self._transform_dask(X, sd)

    def transform(self, X, sample_domain=None):
        """Map rows; they are target rows unless ``sample_domain`` says
        otherwise. A Dask input gives a Dask array, mapped chunk by chunk."""
        if not is_dask_collection(X):
            return super().transform(X, sample_domain)
        from .._domain import predict_domains

        check_is_fitted(self)
        n_rows, n_features = dask_shape(X)
        if n_features != self.n_features_in_:
            raise ValueError(
                f"X has {n_features} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        sd = None if sample_domain is None else compute_rows(sample_domain)
        return self._transform_dask(X, predict_domains(sd, n_samples=n_rows))

    def _fit_dask(self, X, y, sample_domain):
        from .._domain import fit_domains

        who = type(self).__name__
        if getattr(X, "ndim", 2) != 2:
            raise ValueError(f"{who}: X must be 2-D (rows x features), got {X.ndim} dimension(s).")
        n_rows, n_features = dask_shape(X)
        y = None if y is None else compute_rows(y)
        sd = None if sample_domain is None else compute_rows(sample_domain)
        sd = fit_domains(y, sd, n_samples=n_rows, estimator=who)
        if hasattr(X, "columns"):
            dtypes = [np.dtype(d) for d in X.dtypes]
            dtype = np.float32 if all(d == np.float32 for d in dtypes) else np.float64
            names = np.asarray(X.columns, dtype=object)
            if all(isinstance(c, str) for c in names):
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            dtype = np.float32 if X.dtype == np.float32 else np.float64
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        self.n_features_in_ = n_features
        chunks = RowChunks([(X, np.where(sd > 0, 0, 1))])
        self._fit_dask_statistics(chunks, bool(np.any(sd < 0)), dtype)
        return sd

    def _transform_dask(self, X, sd):
        import dask.array as da

        array = X.to_dask_array(lengths=True) if hasattr(X, "columns") else X
        array = array.rechunk({1: -1})
        dtype = np.float32 if array.dtype == np.float32 else np.float64
        domains = da.from_array(np.asarray(sd).reshape(-1, 1), chunks=(array.chunks[0], 1))
        who = type(self).__name__

        def block(values, domain_ids):
            return self._transform(_validated_block(values, dtype, who), domain_ids.ravel())

        return da.map_blocks(block, array, domains, dtype=dtype)

    def _moments(self, chunks, dtype, kind, centres=None):
        """Sufficient statistics of ``kind`` of the two groups (0: source,
        1: target), added up over the chunks."""
        total = chunks.reduce(_moments_task, _add_moments, 2, dtype, type(self).__name__, kind, centres)
        return [list(group) for group in total]
