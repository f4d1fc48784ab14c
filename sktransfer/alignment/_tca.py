"""Transfer Component Analysis (Pan et al. 2011) and the MMD projection it
shares with Joint Distribution Adaptation."""

from numbers import Integral, Real

import numpy as np
from scipy.linalg import eigh

from .._kernels import check_kernel, choose_landmarks, kernel_matrix, median_heuristic_gamma
from .._linalg import masked_covariances
from ..base import BaseAdapter

_EXACT_MAX_SAMPLES = 2000  # above this, n_landmarks="auto" uses landmarks
_AUTO_LANDMARKS = 1000


def feature_scatter(features):
    """``features^T H features``: the scatter matrix (n - 1 times the covariance)."""
    n_samples = features.shape[0]
    _, (cov,) = masked_covariances(features, [np.ones(n_samples, dtype=bool)])
    return cov * max(n_samples - 1, 1)


def mmd_projection(features, groups, weights, mu, n_components, normalize_mmd, scatter=None):
    """The projection of MMD-based alignment (TCA, JDA), in primal form.

    Finds the ``n_components`` directions ``W`` that maximise the variance of
    ``features @ W`` while shrinking the weighted MMD terms, i.e. the leading
    generalised eigenvectors of ``(S, sum_k w_k u_k u_k^T + mu I)`` where ``S``
    is the scatter of the features and ``u_k = features.T @ e_k`` is the
    difference of group means coded by ``e_k``. Nothing of size n x n is
    formed: the MMD matrix is a sum of rank-one terms.

    Parameters
    ----------
    features : ndarray of shape (n_samples, n_features)
        Rows in the space where alignment happens: the data (linear kernel) or
        their kernel values against the landmarks.
    groups : ndarray of shape (n_samples, n_terms)
        Column ``k`` is ``e_k``: ``1/|A|`` on the rows of group A, ``-1/|B|`` on
        those of group B, ``0`` elsewhere.
    weights : ndarray of shape (n_terms,)
        Weight of each MMD term.
    mu : float
        Trade-off: a larger ``mu`` keeps more variance, a smaller one aligns more.
    n_components : int
    normalize_mmd : bool
        Divide the MMD matrix ``sum_k w_k e_k e_k^T`` by its Frobenius norm,
        as the JDA reference code does.
    scatter : ndarray of shape (n_features, n_features), default=None
        :func:`feature_scatter` of ``features``, when the caller already has
        it (JDA solves several problems on the same features).

    Returns
    -------
    components : ndarray of shape (n_features, n_components)
        Unit-norm columns, by decreasing eigenvalue.
    """
    n_features = features.shape[1]
    if scatter is None:
        scatter = feature_scatter(features)
    mean_gaps = (features.T @ groups.astype(features.dtype)).astype(np.float64)  # u_k per column
    mmd = (mean_gaps * weights) @ mean_gaps.T
    if normalize_mmd:
        overlaps = groups.T @ groups  # e_k . e_l
        norm = np.sqrt(np.sum(np.outer(weights, weights) * overlaps**2))
        if norm > 0:
            mmd /= norm
    _, vectors = eigh(
        scatter,
        mmd + mu * np.eye(n_features),
        subset_by_index=[n_features - n_components, n_features - 1],
    )
    vectors = vectors[:, ::-1]
    # unit-norm vectors, as MATLAB's eigs returns them (the papers' protocol)
    return vectors / np.linalg.norm(vectors, axis=0)


def domain_gap_vector(source, target):
    """``e`` of the marginal MMD: ``1/n_s`` on source rows, ``-1/n_t`` on target rows."""
    e = np.zeros(source.shape[0])
    e[source] = 1.0 / source.sum()
    e[target] -= 1.0 / target.sum()
    return e


class BaseMMDProjection(BaseAdapter):
    """Shared machinery of TCA and JDA: kernel features and their projection."""

    def _check_common_params(self):
        check_kernel(self.kernel)
        if not isinstance(self.n_components, Integral) or self.n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {self.n_components!r}.")
        if not isinstance(self.mu, Real) or not self.mu > 0:
            raise ValueError(f"mu must be a positive number, got {self.mu!r}.")
        if self.gamma is not None and (not isinstance(self.gamma, Real) or not self.gamma > 0):
            raise ValueError(f"gamma must be a positive number or None, got {self.gamma!r}.")
        if not (
            self.n_landmarks == "auto"
            or (isinstance(self.n_landmarks, Integral) and self.n_landmarks >= 1)
        ):
            raise ValueError(f"n_landmarks must be 'auto' or a positive integer, got {self.n_landmarks!r}.")

    def _fit_features(self, X, source, target):
        """Learn the feature map and return the features of the fitted rows."""
        self.gamma_ = None
        self.landmarks_ = None
        if self.kernel == "linear":
            features = X
        else:
            rows = source | target
            self.gamma_ = self.gamma if self.gamma is not None else median_heuristic_gamma(
                X[rows], self.random_state
            )
            n_rows = int(rows.sum())
            n_landmarks = self.n_landmarks
            if n_landmarks == "auto":
                n_landmarks = n_rows if n_rows <= _EXACT_MAX_SAMPLES else _AUTO_LANDMARKS
            if n_landmarks >= n_rows:
                self.landmarks_ = X[rows]  # exact: every fitted row is a landmark
            else:
                self.landmarks_ = X[choose_landmarks(X.shape[0], n_landmarks, [source, target & ~source], self.random_state)]
            features = self._features(X)
        if self.n_components > features.shape[1]:
            raise ValueError(
                f"n_components={self.n_components} exceeds the dimension of the "
                f"aligned space ({features.shape[1]}: the number of features, or of "
                "landmarks for a non-linear kernel)."
            )
        return features

    def _features(self, X):
        if self.landmarks_ is None:
            return X
        return kernel_matrix(
            X, self.landmarks_.astype(X.dtype, copy=False), self.kernel,
            gamma=self.gamma_, degree=self.degree, coef0=self.coef0,
        )

    def _transform(self, X, sample_domain):
        return self._features(X) @ self.components_.astype(X.dtype, copy=False)

    def get_feature_names_out(self, input_features=None):
        """Names of the components: ``<classname>0``, ``<classname>1``, ..."""
        prefix = type(self).__name__.lower()
        return np.array([f"{prefix}{i}" for i in range(self.components_.shape[1])], dtype=object)


class TransferComponentAnalysis(BaseMMDProjection):
    """Transfer Component Analysis: a projection that shrinks the MMD between domains.

    TCA learns ``n_components`` directions in a kernel feature space that keep
    the variance of the data while bringing the means of the source and target
    rows together (the maximum mean discrepancy). Every row, source or target,
    is projected the same way.

    Parameters
    ----------
    n_components : int, default=30
        Dimension of the projection.
    kernel : {"linear", "rbf", "poly"}, default="linear"
        ``"linear"`` works on the features directly and scales to any number
        of rows. The others use the kernel values against landmark rows.
    mu : float, default=1.0
        Trade-off between keeping variance (large) and aligning means (small).
    gamma : float, default=None
        Kernel coefficient of ``"rbf"`` and ``"poly"``; None uses the median
        heuristic.
    degree : int, default=3
        Degree of the ``"poly"`` kernel.
    coef0 : float, default=1.0
        Constant term of the ``"poly"`` kernel.
    n_landmarks : "auto" or int, default="auto"
        For non-linear kernels, the number of rows whose kernel values span
        the solution. ``"auto"``: every row (the exact TCA) up to 2000 rows,
        1000 random rows (from both domains) above that, so that time and
        memory stay linear in the number of rows.
    normalize_mmd : bool, default=True
        Divide the MMD matrix by its Frobenius norm, as the JDA reference code
        does, so that ``mu`` means the same for TCA and JDA.
    random_state : int, RandomState instance or None, default=None
        Draws the landmarks and the rows of the median heuristic.

    Attributes
    ----------
    components_ : ndarray of shape (n_aligned_features, n_components)
        Unit-norm projection directions in the aligned space.
    landmarks_ : ndarray of shape (n_landmarks, n_features) or None
        Rows the kernel is evaluated against (None for the linear kernel).
    gamma_ : float or None
        Kernel coefficient used.
    n_features_in_ : int
        Number of features seen during ``fit``.

    References
    ----------
    .. [1] S. J. Pan, I. W. Tsang, J. T. Kwok and Q. Yang, "Domain Adaptation
       via Transfer Component Analysis", IEEE TNN 22(2), 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import TransferComponentAnalysis, stack_domains
    >>> rng = np.random.default_rng(0)
    >>> X, y, _ = stack_domains(rng.normal(size=(50, 5)), np.zeros(50, dtype=int),
    ...                         rng.normal(size=(40, 5)) + 2)
    >>> TransferComponentAnalysis(n_components=2).fit_transform(X, y).shape
    (90, 2)
    """

    def __init__(self, n_components=30, *, kernel="linear", mu=1.0, gamma=None, degree=3,
                 coef0=1.0, n_landmarks="auto", normalize_mmd=True, random_state=None):
        self.n_components = n_components
        self.kernel = kernel
        self.mu = mu
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.n_landmarks = n_landmarks
        self.normalize_mmd = normalize_mmd
        self.random_state = random_state

    def _fit(self, X, y, source, target):
        self._check_common_params()
        features = self._fit_features(X, source, target)
        gap = domain_gap_vector(source, target)[:, None]
        self.components_ = mmd_projection(
            features, gap, np.ones(1), self.mu, self.n_components, self.normalize_mmd
        )
