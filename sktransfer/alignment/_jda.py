"""Joint Distribution Adaptation (Long et al., ICCV 2013)."""

from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer

from ._tca import BaseMMDProjection, domain_gap_vector, feature_scatter, mmd_projection
from .._domain import unlabeled_mask


class JointDistributionAdaptation(BaseMMDProjection):
    """Joint Distribution Adaptation: align marginal and class-conditional distributions.

    JDA extends TCA with one MMD term per class: the source rows of a class
    are brought close to the target rows predicted to be of that class. The
    target predictions (pseudo-labels) come from ``estimator`` trained on the
    projected source rows, and are refined over ``n_iter`` rounds. Every row
    is projected the same way.

    Parameters
    ----------
    n_components : int, default=30
        Dimension of the projection.
    kernel : {"linear", "rbf", "poly"}, default="linear"
        As in :class:`TransferComponentAnalysis`.
    mu : float, default=0.1
        Trade-off between keeping variance (large) and aligning (small); the
        paper's ``lambda``.
    n_iter : int, default=10
        Rounds of pseudo-labelling; the first round is TCA.
    estimator : classifier, default=None
        Predicts the target pseudo-labels from projected rows. None uses the
        paper's choice: unit-norm rows and a 1-nearest-neighbour classifier.
    gamma, degree, coef0, n_landmarks, random_state
        As in :class:`TransferComponentAnalysis`.
    normalize_mmd : bool, default=True
        Divide the MMD matrix by its Frobenius norm, as the JDA code does.

    Attributes
    ----------
    components_ : ndarray of shape (n_aligned_features, n_components)
        Unit-norm projection directions in the aligned space.
    classes_ : ndarray of shape (n_classes,)
        Source classes.
    pseudo_labels_ : ndarray of shape (n_target,)
        Target pseudo-labels of the last round.
    landmarks_, gamma_, n_features_in_
        As in :class:`TransferComponentAnalysis`.

    References
    ----------
    .. [1] M. Long, J. Wang, G. Ding, J. Sun and P. S. Yu, "Transfer Feature
       Learning with Joint Distribution Adaptation", ICCV 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import JointDistributionAdaptation, stack_domains
    >>> rng = np.random.default_rng(0)
    >>> ys = rng.integers(0, 2, 60)
    >>> Xs = rng.normal(size=(60, 4)) + ys[:, None]
    >>> X, y, _ = stack_domains(Xs, ys, rng.normal(size=(50, 4)) + 1)
    >>> JointDistributionAdaptation(n_components=2, n_iter=3).fit_transform(X, y).shape
    (110, 2)
    """

    def __init__(self, n_components=30, *, kernel="linear", mu=0.1, n_iter=10, estimator=None,
                 gamma=None, degree=3, coef0=1.0, n_landmarks="auto", normalize_mmd=True,
                 random_state=None):
        self.n_components = n_components
        self.kernel = kernel
        self.mu = mu
        self.n_iter = n_iter
        self.estimator = estimator
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.n_landmarks = n_landmarks
        self.normalize_mmd = normalize_mmd
        self.random_state = random_state

    def _fit(self, X, y, source, target):
        self._check_common_params()
        if not isinstance(self.n_iter, Integral) or self.n_iter < 1:
            raise ValueError(f"n_iter must be a positive integer, got {self.n_iter!r}.")
        if y is None:
            raise ValueError(
                "JointDistributionAdaptation requires y to be passed, but the target y is "
                "None: the class-conditional terms need the source labels."
            )
        y = np.asarray(y)
        labelled_source = source & ~unlabeled_mask(y, "classification")
        if not labelled_source.any():
            raise ValueError("JointDistributionAdaptation: no labelled source rows.")
        self.classes_, y_codes = np.unique(y[labelled_source], return_inverse=True)
        estimator = (
            make_pipeline(Normalizer(), KNeighborsClassifier(n_neighbors=1))
            if self.estimator is None else self.estimator
        )

        features = self._fit_features(X, source, target)
        scatter = feature_scatter(features)  # the same in every round
        marginal = domain_gap_vector(source, target)
        n_classes = len(self.classes_)
        source_rows = np.flatnonzero(labelled_source)
        target_rows = np.flatnonzero(target)
        pseudo = None
        for _ in range(self.n_iter):
            groups, weights = [marginal], [float(n_classes)]
            if pseudo is not None:
                for code in range(n_classes):
                    e = np.zeros(X.shape[0])
                    in_source = source_rows[y_codes == code]
                    in_target = target_rows[pseudo == code]
                    e[in_source] = 1.0 / len(in_source)
                    if len(in_target):
                        e[in_target] -= 1.0 / len(in_target)
                    groups.append(e)
                    weights.append(1.0)
            self.components_ = mmd_projection(
                features, np.column_stack(groups), np.array(weights), self.mu,
                self.n_components, self.normalize_mmd, scatter=scatter,
            )
            projected = features @ self.components_.astype(features.dtype, copy=False)
            classifier = clone(estimator).fit(projected[source_rows], y_codes)
            pseudo = classifier.predict(projected[target_rows])
        self.pseudo_labels_ = self.classes_[pseudo]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
