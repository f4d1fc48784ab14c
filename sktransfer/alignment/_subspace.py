"""Subspace Alignment (Fernando et al. 2013)."""

from numbers import Integral

import numpy as np
from scipy.linalg import eigh

from .._linalg import masked_covariances
from ..base import BaseAdapter


def _leading_eigenvectors(covariance, n_components):
    n_features = covariance.shape[0]
    _, vectors = eigh(covariance, subset_by_index=[n_features - n_components, n_features - 1])
    return vectors[:, ::-1]


class SubspaceAlignment(BaseAdapter):
    """Subspace Alignment: map the source PCA basis onto the target PCA basis.

    Each domain is centred on its own mean and projected on its own leading
    principal directions; source coordinates are then multiplied by
    ``M = P_s^T P_t``, the linear map that best aligns the source basis with
    the target basis (in Frobenius norm). Target rows are projected on the
    target basis.

    Parameters
    ----------
    n_components : int, default=10
        Dimension of the subspaces.

    Attributes
    ----------
    components_source_ : ndarray of shape (n_components, n_features)
        Leading principal directions of the source rows.
    components_target_ : ndarray of shape (n_components, n_features)
        Leading principal directions of the target rows.
    mean_source_, mean_target_ : ndarray of shape (n_features,)
        Domain means.
    alignment_ : ndarray of shape (n_components, n_components)
        ``M = P_s^T P_t``.
    n_features_in_ : int
        Number of features seen during ``fit``.

    References
    ----------
    .. [1] B. Fernando, A. Habrard, M. Sebban and T. Tuytelaars, "Unsupervised
       Visual Domain Adaptation Using Subspace Alignment", ICCV 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import SubspaceAlignment, stack_domains
    >>> rng = np.random.default_rng(0)
    >>> X, y, _ = stack_domains(rng.normal(size=(50, 5)), np.zeros(50, dtype=int),
    ...                         rng.normal(size=(40, 5)) * 3)
    >>> SubspaceAlignment(n_components=2).fit_transform(X, y).shape
    (90, 2)
    """

    def __init__(self, n_components=10):
        self.n_components = n_components

    def _fit(self, X, y, source, target):
        if not isinstance(self.n_components, Integral) or self.n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {self.n_components!r}.")
        if self.n_components > X.shape[1]:
            raise ValueError(
                f"n_components={self.n_components} exceeds the number of features ({X.shape[1]})."
            )
        (self.mean_source_, self.mean_target_), (cov_source, cov_target) = masked_covariances(
            X, [source, target]
        )
        basis_source = _leading_eigenvectors(cov_source, self.n_components)
        basis_target = _leading_eigenvectors(cov_target, self.n_components)
        self.components_source_ = basis_source.T
        self.components_target_ = basis_target.T
        self.alignment_ = basis_source.T @ basis_target

    def _transform(self, X, sample_domain):
        source = sample_domain > 0
        out = np.empty((X.shape[0], self.n_components), dtype=X.dtype)
        to_source = (self.components_source_.T @ self.alignment_).astype(X.dtype, copy=False)
        to_target = self.components_target_.T.astype(X.dtype, copy=False)
        out[source] = (X[source] - self.mean_source_.astype(X.dtype)) @ to_source
        out[~source] = (X[~source] - self.mean_target_.astype(X.dtype)) @ to_target
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the components: ``subspacealignment0``, ``subspacealignment1``, ..."""
        return np.array([f"subspacealignment{i}" for i in range(self.n_components)], dtype=object)
