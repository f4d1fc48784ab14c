"""Nearest-neighbour importance weights (Loog 2012)."""

from numbers import Real

import numpy as np
from sklearn.neighbors import NearestNeighbors

from ..base import BaseReweighter


class NearestNeighborsWeighting(BaseReweighter):
    """Importance weights from the target rows that fall nearest to each source row.

    Each target row votes for its nearest source row; a source row's weight is
    its number of votes plus ``smoothing`` (Laplace smoothing, so that no
    source row is dropped entirely). This estimates the density ratio
    over the Voronoi cells of the source rows, with no bandwidth to tune, and
    costs a nearest-neighbour search (n log n).

    Parameters
    ----------
    smoothing : float, default=1.0
        Added to every vote count.
    metric : str, default="euclidean"
        Distance, as for :class:`~sklearn.neighbors.NearestNeighbors`.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weight of each fitted row: source rows have mean 1, target rows 1.
    n_features_in_ : int
        Number of features seen during ``fit``.

    References
    ----------
    .. [1] M. Loog, "Nearest neighbor-based importance weighting", IEEE MLSP 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.reweighting import NearestNeighborsWeighting
    >>> X, y, _ = stack_domains(np.array([[0.0], [10.0]]), [0, 1], np.array([[9.0], [11.0], [0.5]]))
    >>> NearestNeighborsWeighting().fit(X, y).weights_[:2]
    array([0.8, 1.2])
    """

    def __init__(self, smoothing=1.0, metric="euclidean"):
        self.smoothing = smoothing
        self.metric = metric

    def _fit_weights(self, X, source, target):
        if not isinstance(self.smoothing, Real) or not self.smoothing >= 0:
            raise ValueError(f"smoothing must be a non-negative number, got {self.smoothing!r}.")
        if self.smoothing == 0 and np.array_equal(source, target):
            return np.ones(int(source.sum()))
        neighbours = NearestNeighbors(n_neighbors=1, metric=self.metric).fit(X[source])
        nearest = neighbours.kneighbors(X[target], return_distance=False).ravel()
        votes = np.bincount(nearest, minlength=int(source.sum())).astype(float)
        weights = votes + self.smoothing
        if weights.sum() == 0:
            raise ValueError("NearestNeighborsWeighting: every weight is zero; use smoothing > 0.")
        return weights
