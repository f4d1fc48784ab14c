"""Kernels shared by the MMD methods: bandwidth rule and landmark feature maps."""

import numpy as np
from sklearn.metrics.pairwise import euclidean_distances, pairwise_kernels
from sklearn.utils import check_random_state

KERNELS = ("linear", "rbf", "poly")
_MEDIAN_SUBSAMPLE = 1000


def median_heuristic_gamma(X, random_state=None):
    """RBF ``gamma`` from the median heuristic: ``1 / (2 * median(d)^2)``.

    ``d`` are the pairwise Euclidean distances between (at most 1000 randomly
    chosen) rows of ``X``; zero distances between duplicate rows are ignored.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer._kernels import median_heuristic_gamma
    >>> float(median_heuristic_gamma(np.array([[0.0], [1.0], [2.0]])))
    0.5
    """
    X = np.asarray(X)
    if X.shape[0] > _MEDIAN_SUBSAMPLE:
        rows = check_random_state(random_state).choice(X.shape[0], _MEDIAN_SUBSAMPLE, replace=False)
        X = X[rows]
    sq = euclidean_distances(X, squared=True)[np.triu_indices(X.shape[0], k=1)]
    sq = sq[sq > 0]
    if sq.size == 0:
        return 1.0
    return 1.0 / (2.0 * float(np.median(sq)))


def check_kernel(kernel):
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}.")
    return kernel


def kernel_matrix(X, Y, kernel, *, gamma=None, degree=3, coef0=1.0):
    """``k(X, Y)`` for the kernels of :data:`KERNELS`, in the dtype of ``X``."""
    params = {}
    if kernel == "rbf":
        params = {"gamma": gamma}
    elif kernel == "poly":
        params = {"gamma": gamma, "degree": degree, "coef0": coef0}
    K = pairwise_kernels(X, Y, metric=kernel, **params)
    return K.astype(X.dtype, copy=False)


def choose_landmarks(n_samples, n_landmarks, groups, random_state):
    """Row indices of landmarks, drawn without replacement in proportion to
    the size of each group (e.g. source and target) so that every group is
    represented."""
    rng = check_random_state(random_state)
    n_landmarks = min(n_landmarks, n_samples)
    chosen = []
    sizes = np.array([g.sum() for g in groups], dtype=float)
    quotas = np.maximum(1, np.round(n_landmarks * sizes / sizes.sum())).astype(int)
    for group, quota in zip(groups, quotas):
        rows = np.flatnonzero(group)
        chosen.append(rng.choice(rows, min(quota, rows.size), replace=False))
    return np.sort(np.concatenate(chosen))
