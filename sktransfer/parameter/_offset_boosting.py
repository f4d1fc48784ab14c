"""Continued boosting: target trees fitted on top of the source model's raw score.

The source model's raw score (log-odds, or the prediction for regression) is
the starting point (the *offset*) of a Newton boosting of shallow regression
trees on the labelled target rows: what LightGBM's ``init_score`` and
XGBoost's ``base_margin`` do, for any source model with a raw score
(sklearn's ``HistGradientBoosting*``, which have no ``init_score``, logistic
regression, a LightGBM model, ...). The number of target rounds is chosen by
repeated cross-validation on the target rows, ``0`` (the source model) being
the safe end.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

from ._fewshot import check_cv_params, choose_safest, target_folds
from ._tabular import (
    _BaseFewShot,
    _FewShotClassifierMixin,
    _FewShotRegressorMixin,
    default_estimator,
    log_loss_of_raw,
    proba_from_raw,
    squared_error_of,
)

__all__ = ["ROUNDS_GRID", "ContinuedBoostingClassifier", "ContinuedBoostingRegressor"]

# n_rounds="auto" chooses among these (0: the source model unchanged)
ROUNDS_GRID = (0, 5, 10, 20, 50, 100)
_MIN_HESSIAN = 1e-6


def _gradients(task, raw, y, n_classes):
    """Gradient and hessian of the loss in the raw score (one column per tree)."""
    if task == "regression":
        return (raw - y)[:, None], np.ones((len(y), 1))
    if raw.ndim == 1:
        p = 1.0 / (1.0 + np.exp(-raw))
        g, h = p - (y == 1), p * (1.0 - p)
        return g[:, None], np.maximum(h, _MIN_HESSIAN)[:, None]
    p = np.exp(raw - raw.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    onehot = np.zeros_like(p)
    onehot[np.arange(len(y)), y] = 1.0
    return p - onehot, np.maximum(p * (1.0 - p), _MIN_HESSIAN)


_MAX_BINS = 32


def _bin_edges(X):
    """Per feature, up to ``_MAX_BINS - 1`` split points between distinct quantiles."""
    edges = []
    for column in X.T:
        values = np.unique(column)
        if len(values) > _MAX_BINS:
            values = np.unique(np.quantile(column, np.linspace(0, 1, _MAX_BINS)))
        edges.append((values[:-1] + values[1:]) / 2.0)
    return edges


class _HistTree:
    """A depth-limited regression tree on binned features, grown by Newton gain.

    Grown level by level on the gradients ``g`` and hessians ``h``: each node
    takes the split of largest gain ``GL^2/(HL+l2) + GR^2/(HR+l2) -
    G^2/(H+l2)`` among the bin edges of every feature (with at least
    ``min_samples_leaf`` rows each side), and each leaf the value
    ``-G/(H+l2)``. Ties go to the first feature and edge (no randomness).
    Much cheaper than a ``DecisionTreeRegressor`` per round on a few hundred
    rows, which is what the cross-validated rounds need.
    """

    def __init__(self, max_depth, min_samples_leaf, l2):
        self.max_depth, self.min_samples_leaf, self.l2 = max_depth, min_samples_leaf, l2

    def fit(self, bins, edges, g, h):
        n, d = bins.shape
        n_bins = _MAX_BINS
        offsets = np.arange(d) * n_bins
        flat = bins + offsets  # (n, d): one histogram slot per (feature, bin)
        node = np.zeros(n, dtype=np.intp)
        # per node: feature (-1 for a leaf), threshold, left child, right child, value
        self.feature, self.threshold, self.left, self.right = [-1], [0.0], [-1], [-1]
        frontier = [0]
        for _ in range(self.max_depth):
            next_frontier = []
            for leaf in frontier:
                rows = np.flatnonzero(node == leaf)
                if len(rows) < 2 * self.min_samples_leaf:
                    continue
                slots = flat[rows].ravel()
                size = d * n_bins
                G = np.bincount(slots, np.repeat(g[rows], d), size).reshape(d, n_bins).cumsum(axis=1)
                H = np.bincount(slots, np.repeat(h[rows], d), size).reshape(d, n_bins).cumsum(axis=1)
                C = np.bincount(slots, None, size).reshape(d, n_bins).cumsum(axis=1)
                Gt, Ht, Ct = G[:, -1:], H[:, -1:], C[:, -1:]
                gain = G**2 / (H + self.l2) + (Gt - G) ** 2 / (Ht - H + self.l2) - Gt**2 / (Ht + self.l2)
                valid = (C >= self.min_samples_leaf) & (Ct - C >= self.min_samples_leaf)
                gain = np.where(valid, gain, -np.inf)
                best = int(np.argmax(gain))
                f, b = divmod(best, n_bins)
                if not gain[f, b] > 1e-12 or b >= len(edges[f]):
                    continue
                left, right = len(self.feature), len(self.feature) + 1
                self.feature[leaf], self.threshold[leaf] = f, float(edges[f][b])
                self.left[leaf], self.right[leaf] = left, right
                self.feature += [-1, -1]
                self.threshold += [0.0, 0.0]
                self.left += [-1, -1]
                self.right += [-1, -1]
                go_right = bins[rows, f] > b
                node[rows[go_right]] = right
                node[rows[~go_right]] = left
                next_frontier += [left, right]
            frontier = next_frontier
        size = len(self.feature)
        self.value = -np.bincount(node, g, size) / (np.bincount(node, h, size) + self.l2)
        self.feature = np.asarray(self.feature)
        self.threshold = np.asarray(self.threshold)
        self.left, self.right = np.asarray(self.left), np.asarray(self.right)
        return node

    def apply(self, X):
        node = np.zeros(X.shape[0], dtype=np.intp)
        for _ in range(self.max_depth):
            f = self.feature[node]
            inner = f >= 0
            if not inner.any():
                break
            rows = np.flatnonzero(inner)
            go_right = X[rows, f[rows]] > self.threshold[node[rows]]
            node[rows] = np.where(go_right, self.right[node[rows]], self.left[node[rows]])
        return node


def _dense(X):
    return X.toarray() if sp.issparse(X) else np.asarray(X)


class _NewtonTrees:
    """Newton boosting of regression trees from a given raw score.

    Each round grows one tree per raw-score column (:class:`_HistTree`) on
    the gradient and hessian of the loss, with leaf values
    ``-sum(g) / (sum(h) + l2)``, shrunk by the learning rate.
    """

    def __init__(self, task, n_classes, learning_rate, max_depth, min_samples_leaf, l2, random_state):
        self.task, self.n_classes = task, n_classes
        self.learning_rate, self.max_depth = learning_rate, max_depth
        self.min_samples_leaf, self.l2 = min_samples_leaf, l2
        self.random_state = random_state  # the trees are deterministic; kept for clarity
        self.rounds = []

    def fit(self, X, raw, y, n_rounds, X_valid=None, raw_valid=None, checkpoints=()):
        """Boost ``n_rounds`` rounds from ``raw``; return the raw score of
        ``X_valid`` after each round count of ``checkpoints``."""
        X = _dense(X)
        edges = _bin_edges(X)
        bins = np.column_stack([np.searchsorted(e, column, side="left") for e, column in zip(edges, X.T)]) \
            if X.shape[1] else np.zeros((X.shape[0], 0), dtype=np.intp)
        raw = np.array(raw, dtype=np.float64, copy=True)
        staged = {}
        if raw_valid is not None:
            X_valid = _dense(X_valid)
            raw_valid = np.array(raw_valid, dtype=np.float64, copy=True)
            if 0 in checkpoints:
                staged[0] = raw_valid.copy()
        for k in range(1, n_rounds + 1):
            g, h = _gradients(self.task, raw, y, self.n_classes)
            round_trees = []
            for j in range(g.shape[1]):
                tree = _HistTree(self.max_depth, self.min_samples_leaf, self.l2)
                leaves = tree.fit(bins, edges, g[:, j], h[:, j])
                tree.value *= self.learning_rate
                round_trees.append(tree)
                step = tree.value[leaves]
                if raw.ndim == 1:
                    raw += step
                else:
                    raw[:, j] += step
                if raw_valid is not None:
                    step = tree.value[tree.apply(X_valid)]
                    if raw_valid.ndim == 1:
                        raw_valid += step
                    else:
                        raw_valid[:, j] += step
            self.rounds.append(round_trees)
            if raw_valid is not None and k in checkpoints:
                staged[k] = raw_valid.copy()
        return staged

    def raw(self, X, raw):
        X = _dense(X)
        raw = np.array(raw, dtype=np.float64, copy=True)
        for round_trees in self.rounds:
            for j, tree in enumerate(round_trees):
                if raw.ndim == 1:
                    raw += tree.value[tree.apply(X)]
                else:
                    raw[:, j] += tree.value[tree.apply(X)]
        return raw


class _BaseContinuedBoosting(_BaseFewShot):
    _uses_source_model = True

    def __init__(self, source_estimator=None, *, n_rounds="auto", learning_rate=0.1, max_depth=2,
                 min_samples_leaf=10, l2_regularization=1.0, cv=5, cv_repeats=3, random_state=0):
        self.source_estimator = source_estimator
        self.n_rounds = n_rounds
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.cv = cv
        self.cv_repeats = cv_repeats
        self.random_state = random_state

    def _source_template(self):
        if self.source_estimator is not None:
            return self.source_estimator
        return default_estimator(self._task, self.random_state)

    def _check_params(self):
        who = type(self).__name__
        n = self.n_rounds
        if not (isinstance(n, str) and n == "auto") and (
            not isinstance(n, Integral) or isinstance(n, bool) or n < 0
        ):
            raise ValueError(f"{who}: n_rounds must be 'auto' or an integer >= 0, got {n!r}.")
        for name, low in (("learning_rate", 0.0), ("l2_regularization", None)):
            value = getattr(self, name)
            if not isinstance(value, Real) or isinstance(value, bool) or not np.isfinite(value) or (
                value <= 0 if low is not None else value < 0
            ):
                bound = "> 0" if low is not None else ">= 0"
                raise ValueError(f"{who}: {name} must be a finite number {bound}, got {value!r}.")
        for name in ("max_depth", "min_samples_leaf"):
            value = getattr(self, name)
            if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{who}: {name} must be an integer >= 1, got {value!r}.")
        if n == "auto":
            check_cv_params(self.cv, self.cv_repeats, who)

    def _trees(self):
        n_classes = len(self.classes_) if self._task == "classification" else 1
        return _NewtonTrees(self._task, n_classes, self.learning_rate, self.max_depth,
                            self.min_samples_leaf, self.l2_regularization, self.random_state)

    def _loss(self, raw, y):
        return log_loss_of_raw(raw, y) if self._task == "classification" else squared_error_of(raw, y)

    def _staged_losses(self, Xt, yt, Ft, train, valid, checkpoints):
        """Loss on ``valid`` after each round count of ``checkpoints`` (one fit)."""
        staged = self._trees().fit(Xt[train], Ft[train], yt[train], max(checkpoints),
                                   Xt[valid], Ft[valid], checkpoints)
        return {k: self._loss(staged[k], yt[valid]) for k in checkpoints}

    def _fit_rows(self, Xs, ys, Xt, yt, Ft, source_model):
        n_rounds = self.n_rounds
        self.cv_scores_ = None
        if n_rounds == "auto":
            stratify = self._task == "classification"
            folds = target_folds(yt, cv=self.cv, cv_repeats=self.cv_repeats, stratify=stratify,
                                 random_state=self.random_state)
            if folds is None:
                n_rounds = 0  # too few rows to tell: the source model
            else:
                fold_losses = {k: [] for k in ROUNDS_GRID}
                for train, valid in folds:
                    for k, loss in self._staged_losses(Xt, yt, Ft, train, valid, ROUNDS_GRID).items():
                        fold_losses[k].append(loss)
                n_rounds, means, _ = choose_safest(fold_losses, order=ROUNDS_GRID)
                self.cv_scores_ = {k: -means[k] for k in ROUNDS_GRID}
        self.n_rounds_ = int(n_rounds)
        self._boost = self._trees()
        self._boost.fit(Xt, Ft, yt, self.n_rounds_)
        return self

    def _raw(self, X):
        return self._boost.raw(X, self._source_score(self.source_estimator_, X))


_PARAMS_DOC = """
    source_estimator : estimator object, default=None
        The source model, fitted or not: an unfitted one is cloned and fitted
        on the labelled source rows; a fitted one is used as it is (wrap it in
        :class:`sklearn.frozen.FrozenEstimator` to keep it through
        ``clone``). ``None`` means sklearn's ``HistGradientBoosting{kind}``
        with its defaults. Its raw score is {raw}. A LightGBM model (the
        scikit-learn API, ``LGBM{kind}``) is accepted: its
        ``predict(X, raw_score=True)`` is used.
    n_rounds : "auto" or int, default="auto"
        Number of target boosting rounds on top of the source score; ``0`` is
        the source model. "auto" chooses among ``ROUNDS_GRID``
        (0, 5, 10, 20, 50, 100) by ``cv_repeats`` x ``cv``-fold
        cross-validation on the labelled target rows ({loss}): the fewest
        rounds whose mean loss is within half a standard error of the best
        (a few target rows give a noisy loss; the source model is the safe
        end).
    learning_rate : float, default=0.1
        Shrinkage of each tree.
    max_depth : int, default=2
        Depth of the target trees: shallow, because the target rows are few
        and the trees correct the source model rather than replace it.
    min_samples_leaf : int, default=10
        Fewest target rows in a leaf.
    l2_regularization : float, default=1.0
        L2 penalty on the leaf values (in units of the hessian, i.e. of rows
        {l2_units}): leaves of few rows move less.
    cv : int, default=5
        Folds of the cross-validation of ``n_rounds="auto"``.
    cv_repeats : int, default=3
        Times that cross-validation is repeated with reshuffled folds.
    random_state : int, RandomState instance or None, default=0
        Seed of the folds and of the default source model's early-stopping
        split (the trees are deterministic).
"""

_ATTRS_DOC = """
    source_estimator_ : estimator object
        The fitted source model.
    n_rounds_ : int
        The number of target rounds used (the chosen one with "auto").
    cv_scores_ : dict or None
        With "auto": the cross-validated score (negative mean {loss}) of each
        round count of ``ROUNDS_GRID``; None otherwise, or when the target
        rows were too few to cross-validate (then ``n_rounds_`` is 0).
    n_source_rows_ : int
        Labelled source rows.
    n_target_rows_ : int
        Labelled target rows boosted on.
    fallback_ : bool
        True when fit saw no labelled target row: the model is the source
        model (with a DomainWarning).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.
"""


class ContinuedBoostingClassifier(_FewShotClassifierMixin, _BaseContinuedBoosting):
    __doc__ = """Boosting on a few target labels, continued from the source model's score.

    The target model's raw score is the source model's raw score plus a sum
    of shallow regression trees fitted on the labelled target rows by Newton
    boosting of the log loss: the first trees mostly correct the base rate,
    later ones the regions where the target's concept moved. This is what
    LightGBM's ``init_score`` / XGBoost's ``base_margin`` do, here for any
    source model with a raw score, in particular sklearn's
    ``HistGradientBoostingClassifier``, which has no ``init_score``.

    Labelled target rows are the rows with a label and a negative
    ``sample_domain``; labelled rows with a positive one are source rows;
    rows labelled ``-1`` are not used. Without labelled target rows the model
    is the source model, with a :class:`~sktransfer.DomainWarning`.
    Predictions are for target rows.

    Parameters
    ----------""" + _PARAMS_DOC.format(
        kind="Classifier", loss="log loss", l2_units="of certain prediction weigh less",
        raw="its ``decision_function`` (the log-odds for two classes) or the "
            "log of ``predict_proba``") + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.""" + _ATTRS_DOC.format(loss="log loss") + """
    See Also
    --------
    FewShotTransferClassifier : chooses among this and the other strategies.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.parameter import ContinuedBoostingClassifier
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(400, 3)), rng.normal(size=(100, 3))
    >>> ys, yt = (Xs[:, 0] > 0).astype(int), (Xt[:, 0] > 0.5).astype(int)
    >>> X, y, sample_domain = stack_domains(Xs, ys, Xt, yt, mask_target=False)
    >>> clf = ContinuedBoostingClassifier(n_rounds=20).fit(X, y, sample_domain=sample_domain)
    >>> clf.n_rounds_, clf.predict_proba(Xt[:2]).shape
    (20, (2, 2))
    """

    def _proba(self, X):
        return proba_from_raw(self._raw(X), self.classes_)

    def decision_function(self, X):
        """Raw score of the target model: the source score plus the target trees.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the log-odds of ``classes_[1]``.
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        if self.fallback_:
            return self._source_score(self.source_estimator_, X)
        return self._raw(X)


class ContinuedBoostingRegressor(_FewShotRegressorMixin, _BaseContinuedBoosting):
    __doc__ = """Boosting on a few target labels, continued from the source model's prediction.

    The target prediction is the source model's prediction plus a sum of
    shallow regression trees fitted to the residuals of the labelled target
    rows (Newton boosting of the squared error, with an L2 penalty on the
    leaves): the first trees correct a shift of the level, later ones the
    regions where the target's relation moved.

    Labelled target rows are the rows with a label and a negative
    ``sample_domain``; labelled rows with a positive one are source rows;
    rows labelled ``NaN`` are not used. Without labelled target rows the model
    is the source model, with a :class:`~sktransfer.DomainWarning`.
    Predictions are for target rows.

    Parameters
    ----------""" + _PARAMS_DOC.format(
        kind="Regressor", loss="squared error", l2_units="", raw="its ``predict``") + """
    Attributes
    ----------""" + _ATTRS_DOC.format(loss="squared error") + """
    See Also
    --------
    FewShotTransferRegressor : chooses among this and the other strategies.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.parameter import ContinuedBoostingRegressor
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(400, 3)), rng.normal(size=(100, 3))
    >>> ys, yt = Xs[:, 0], Xt[:, 0] + 1.0  # the target level moved
    >>> X, y, sample_domain = stack_domains(Xs, ys, Xt, yt, mask_target=False)
    >>> reg = ContinuedBoostingRegressor().fit(X, y, sample_domain=sample_domain)
    >>> reg.n_rounds_ > 0
    True
    """

    def _predict(self, X):
        return self._raw(X)
