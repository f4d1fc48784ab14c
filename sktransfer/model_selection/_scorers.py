"""Scorers that estimate a model's score on the target domain without target labels.

Each is an ordinary sklearn scorer callable, ``scorer(estimator, X, y)``,
greater is better, for ``GridSearchCV(pipe, grid, scoring=..., cv=...)``.
They read the domains of the validation rows from the masked labels of ``y``
or from ``sample_domain`` (routed by sklearn's metadata routing).
"""

import hashlib
from collections import OrderedDict
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, get_scorer
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.metadata_routing import MetadataRequest, get_routing_for_object

from .._domain import unlabeled_mask
from ..diagnostics import estimate_target_score
from ..reweighting import DomainClassifierWeighting
from ._base import DomainScorer, Fold, accepts_sample_domain, call_with_domains, require_method, take_rows

__all__ = [
    "DeepEmbeddedValidation",
    "ImportanceWeightedScorer",
    "PredictionEntropyScorer",
    "ReverseValidation",
    "SoftNeighborhoodDensity",
    "TargetScorer",
    "labeled_scorer",
]

_IW_SCORINGS = ("accuracy", "neg_log_loss", "roc_auc", "gini")
_EPS = 1e-12
_PROBA_FLOOR = 1e-6  # domain-classifier probabilities, as DomainClassifierWeighting clips them
_SND_CHUNK_ENTRIES = 2**22  # similarity entries held at once by SoftNeighborhoodDensity
# density ratios kept by ImportanceWeightedScorer: GridSearchCV scores every fold of
# one candidate before the next candidate, so the cache must hold all the folds
_WEIGHTS_CACHE_SIZE = 32


def _fingerprint(X, sample_domain):
    """A digest of the validation rows: the same fold scored for every candidate
    of a grid search gets the same density ratio without refitting it."""
    digest = hashlib.blake2b(digest_size=16)
    array = X.to_numpy() if hasattr(X, "to_numpy") else X
    if hasattr(array, "tocsr"):
        array = array.tocsr()
        for part in (array.data, array.indices, array.indptr):
            digest.update(np.ascontiguousarray(part).tobytes())
    else:
        array = np.ascontiguousarray(np.asarray(array))
        digest.update(str((array.shape, array.dtype)).encode())
        digest.update(array.tobytes())
    digest.update(np.ascontiguousarray(sample_domain).tobytes())
    return digest.hexdigest()


class _FixedWeights(BaseEstimator):
    """A weighting that returns weights computed before (the cached density ratio)."""

    def __init__(self, weights=None):
        self.weights = weights

    def fit_weights(self, X, y=None, sample_domain=None):
        return self.weights


_IW_SPACES = ("input", "embedding")


class ImportanceWeightedScorer(DomainScorer):
    """Importance-weighted validation (IWCV): the source score reweighted to the target.

    Under covariate shift the target risk is the source risk weighted by the
    density ratio ``p_target(x) / p_source(x)`` (Sugiyama et al. 2007). The
    scorer fits ``weighting`` on the validation rows (source and target) and
    scores the labelled source rows with those weights, through
    :func:`sktransfer.diagnostics.estimate_target_score`. The source rows
    must be held out from the fit (they are, in a validation fold of
    :class:`DomainShuffleSplit`). In the input space the density ratio
    depends on the rows only, not on the model, so it is fitted once per
    validation fold and reused for every candidate of a grid search (the
    scorer keeps the ratios of its last 32 folds, keyed by a digest of the
    rows).

    Parameters
    ----------
    scoring : {"accuracy", "neg_log_loss", "roc_auc", "gini"}, default="accuracy"
        The score to estimate.
    weighting : reweighter, default=None
        An object with ``fit_weights(X, y, sample_domain)`` (any of
        :mod:`sktransfer.reweighting`), used as given (its own
        ``random_state``). None:
        ``DomainClassifierWeighting(random_state=random_state)``, a domain
        classifier's density ratio, cross-fitted.
    min_effective_fraction : float in (0, 1] or None, default=0.5
        Variance control. When the domains barely overlap, a few source
        rows carry almost all the weight and the estimate is noisy. With a
        fraction ``f``, the weights ``w`` of the labelled source rows are
        flattened to ``w ** a``, with ``a`` the largest exponent in [0, 1]
        for which their effective sample size ``(sum w^a)^2 / sum w^(2a)``
        is at least ``f`` times the number of those rows (found by bisection
        to 1e-10). ``a = 1`` (the weights as fitted) when they already have
        enough effective rows; toward ``a = 0`` (equal weights: the plain
        source score) the less they do. None: no flattening (plain IWCV,
        the previous default; see Notes).
    space : {"input", "embedding"}, default="input"
        Where the density ratio is estimated. ``"input"``: the rows as given
        (fitted once per fold). ``"embedding"``: the features that enter the
        final step of a pipeline (``pipe[:-1].transform``, as
        :class:`DeepEmbeddedValidation` does), where an adaptation has
        brought the domains closer; it is refitted for every model scored
        (the input ``X`` is used for an estimator that is not a pipeline).
    random_state : int, RandomState instance or None, default=0
        Seeds the default weighting (its cross-fitting folds); not used
        with a ``weighting`` given. The default 0, as in
        :class:`DeepEmbeddedValidation`, keeps the score of a fold the same
        on every call; None draws new folds (an int for a reproducible
        score).

    Notes
    -----
    Flattening trades the variance of the weighted score for the bias of
    the source score: up to a constant, ``w ** a`` is the density ratio of
    ``p_target^a p_source^(1-a)``, a target moved part of the way back
    toward the source (Shimodaira 2000 flattens the same way, with ``a``
    chosen by hand). The exponent used is not stored
    (a scorer keeps no per-call state under ``GridSearchCV``'s clones); it
    is a function of the weights alone, the same for every candidate of a
    fold in the input space.

    ``min_effective_fraction=0.5`` is the default because, of the two
    variance-control variants tried in ``benchmarks/bench_model_selection.py``
    (this one, and the same with ``space="embedding"``), it had the lower
    mean selection regret, lower than that of source accuracy, but by a
    margin within noise (1.44 against 1.49 points over 72 task-method
    grids: the same choice 60 times, a better one 6, a worse one 6). On real domains the weights as fitted often have an effective
    sample size of a few percent of the rows, and the flattened score then
    stays close to the source score. Where the shift is pure covariate
    shift and the domains overlap well enough, plain IWCV
    (``min_effective_fraction=None``) corrects more.

    See Also
    --------
    sktransfer.diagnostics.estimate_target_score : The same estimate for one model.

    References
    ----------
    .. [1] M. Sugiyama, M. Krauledat and K.-R. Mueller, "Covariate Shift
       Adaptation by Importance Weighted Cross Validation", JMLR 8, 2007.
    .. [2] H. Shimodaira, "Improving predictive inference under covariate
       shift by weighting the log-likelihood function", Journal of
       Statistical Planning and Inference 90, 2000.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer import stack_domains
    >>> from sktransfer.model_selection import ImportanceWeightedScorer
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(300, 2)), rng.normal(1.0, 1.0, size=(200, 2))
    >>> ys = (Xs[:, 0] + rng.normal(size=300) > 0).astype(int)
    >>> model = LogisticRegression().fit(Xs[:150], ys[:150])
    >>> X, y, _ = stack_domains(Xs[150:], ys[150:], Xt)
    >>> 0.5 < ImportanceWeightedScorer()(model, X, y) < 1.0
    True
    >>> 0.5 < ImportanceWeightedScorer(min_effective_fraction=None)(model, X, y) < 1.0
    True
    """

    def __init__(self, scoring="accuracy", *, weighting=None, min_effective_fraction=0.5, space="input",
                 random_state=0):
        self.scoring = scoring
        self.weighting = weighting
        self.min_effective_fraction = min_effective_fraction
        self.space = space
        self.random_state = random_state

    def _check_params(self):
        if self.scoring not in _IW_SCORINGS:
            raise ValueError(
                f"ImportanceWeightedScorer: scoring must be one of {_IW_SCORINGS}, got {self.scoring!r}."
            )
        if self.weighting is not None and not hasattr(self.weighting, "fit_weights"):
            raise TypeError(
                "ImportanceWeightedScorer: weighting must have a fit_weights(X, y, sample_domain) "
                f"method (e.g. DomainClassifierWeighting()), got {type(self.weighting).__name__}."
            )
        fraction = self.min_effective_fraction
        if fraction is not None and (
            isinstance(fraction, bool) or not isinstance(fraction, Real) or not 0 < fraction <= 1
        ):
            raise ValueError(
                "ImportanceWeightedScorer: min_effective_fraction must be None or a number in (0, 1], "
                f"got {fraction!r}."
            )
        if isinstance(self.space, str) and self.space in _IW_SPACES:
            return
        raise ValueError(f"ImportanceWeightedScorer: space must be 'input' or 'embedding', got {self.space!r}.")

    def _score(self, estimator, fold):
        self._check_params()
        weighting = (DomainClassifierWeighting(random_state=self.random_state)
                     if self.weighting is None else self.weighting)
        features = fold.X
        if self.space == "embedding":
            features = _features(self, estimator, "auto", fold.X, fold.sample_domain)
        key = (_fingerprint(features, fold.sample_domain), repr(weighting))
        cache = self.__dict__.setdefault("_weights_cache", OrderedDict())
        if key in cache:
            cache.move_to_end(key)
        else:
            try:
                weights = weighting.fit_weights(features, fold.y, fold.sample_domain)
            except ValueError as exc:
                raise ValueError(
                    f"{self}: the density ratio could not be fitted on the validation rows "
                    f"({fold.source.size} labelled source row(s), {fold.target.size} target row(s)): "
                    f"{exc} Use larger validation folds (e.g. a larger test_size of DomainShuffleSplit)."
                ) from exc
            cache[key] = np.asarray(weights, dtype=float)
            while len(cache) > _WEIGHTS_CACHE_SIZE:
                cache.popitem(last=False)
        return estimate_target_score(
            estimator, fold.X, fold.y, fold.sample_domain, weighting=_FixedWeights(cache[key]),
            scoring=self.scoring, min_effective_fraction=self.min_effective_fraction,
            method="importance_weighted", n_bootstrap=0,  # the point estimate only: no interval
        ).score


def _target_proba(scorer, estimator, fold):
    require_method(scorer, estimator, "predict_proba")
    X_target, _, sd_target = fold.rows("target")
    return np.asarray(call_with_domains(estimator, "predict_proba", X_target, sd_target), dtype=float)


class PredictionEntropyScorer(DomainScorer):
    """Minus the mean entropy of the predicted class probabilities on the target rows.

    A model that is confident on the target rows scores higher (Morerio et
    al. 2018 select on it). It needs no source row and no density ratio, but
    it rewards confidence, not correctness: a model that is confidently wrong
    on the target scores well. Pair it with a grid whose settings do not
    change the confidence by themselves (e.g. not the regularisation ``C``
    of a logistic regression, which it will push to the weakest).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.model_selection import PredictionEntropyScorer
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0], [-3.0], [3.0]])
    >>> y = np.array([0, 0, 1, 1, -1, -1])
    >>> sharp = LogisticRegression(C=100.0).fit(X[:4], y[:4])
    >>> blunt = LogisticRegression(C=0.01).fit(X[:4], y[:4])
    >>> scorer = PredictionEntropyScorer()
    >>> scorer(sharp, X, y) > scorer(blunt, X, y)
    True
    """

    needs_source = False

    def __init__(self):
        pass

    def _score(self, estimator, fold):
        proba = np.clip(_target_proba(self, estimator, fold), 0.0, 1.0)
        entropy = -np.sum(proba * np.log(np.maximum(proba, _EPS)), axis=1)
        return -float(np.mean(entropy))


class SoftNeighborhoodDensity(DomainScorer):
    """Soft neighbourhood density (SND) of the target predictions (Saito et al. 2021).

    The class-probability vectors of the target rows are normalised to unit
    length; each row's similarities to the other rows, divided by
    ``temperature``, go through a softmax, and the score is the mean entropy
    of those soft neighbourhoods: higher when the target predictions form
    dense clusters, each row with many close neighbours.

    The memory held is bounded (the similarities are computed in chunks of
    rows); the time is quadratic in the number of target rows.

    Parameters
    ----------
    temperature : float, default=0.05
        Temperature of the softmax, > 0 (0.05 in the paper).

    Notes
    -----
    SND is maximal when every target row has many equally similar
    neighbours, which a model predicting the same class everywhere also
    achieves; the paper pairs it with grids of adaptation strength, where
    that collapse is not one of the candidates.

    References
    ----------
    .. [1] K. Saito, D. Kim, P. Teterwak, S. Sclaroff, T. Darrell and
       K. Saenko, "Tune it the Right Way: Unsupervised Validation of Domain
       Adaptation via Soft Neighborhood Density", ICCV 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.model_selection import SoftNeighborhoodDensity
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-2, 1, (50, 2)), rng.normal(2, 1, (50, 2))])
    >>> y = np.r_[np.zeros(40, int), -np.ones(10, int), np.ones(40, int), -np.ones(10, int)]
    >>> model = LogisticRegression().fit(X[y >= 0], y[y >= 0])
    >>> float(SoftNeighborhoodDensity()(model, X, y)) > 0
    True
    """

    needs_source = False

    def __init__(self, temperature=0.05):
        self.temperature = temperature

    def _score(self, estimator, fold):
        if (isinstance(self.temperature, bool) or not isinstance(self.temperature, Real)
                or not self.temperature > 0):
            raise ValueError(
                f"SoftNeighborhoodDensity: temperature must be a positive number, got {self.temperature!r}."
            )
        proba = _target_proba(self, estimator, fold)
        if proba.shape[0] < 2:
            raise ValueError("SoftNeighborhoodDensity needs at least 2 target rows.")
        unit = proba / np.maximum(np.linalg.norm(proba, axis=1, keepdims=True), _EPS)
        n = unit.shape[0]
        step = max(1, _SND_CHUNK_ENTRIES // n)
        total = 0.0
        for start in range(0, n, step):
            logits = unit[start:start + step] @ unit.T / self.temperature
            rows = np.arange(logits.shape[0])
            logits[rows, start + rows] = -np.inf  # a row is not its own neighbour
            logits -= logits.max(axis=1, keepdims=True)
            neighbours = np.exp(logits)
            neighbours /= neighbours.sum(axis=1, keepdims=True)
            total += float(-np.sum(neighbours * np.log(np.maximum(neighbours, _EPS))))
        return total / n


def _features(scorer, estimator, embedding, X, sample_domain):
    """The representation that DEV weights: what enters the final estimator."""
    if callable(embedding):
        return np.asarray(embedding(estimator, X, sample_domain))
    if embedding == "input":
        return X
    if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
        return call_with_domains(estimator[:-1], "transform", X, sample_domain)
    return X


class DeepEmbeddedValidation(DomainScorer):
    """Deep embedded validation (DEV, You et al. 2019): importance weights in the
    model's own feature space, with a control variate.

    A domain classifier, cross-fitted on the features of the validation rows
    (those that enter the final estimator: ``pipe[:-1].transform`` for a
    pipeline), gives the density ratio ``w`` of each labelled source row;
    the per-row log loss ``L`` of the model on those rows is weighted, and
    the control variate ``eta = -Cov(wL, w) / Var(w)`` cuts the variance
    of the weighted mean: ``DEV = mean(wL) + eta * (mean(w) - 1)``. The
    score is ``-DEV``.

    Parameters
    ----------
    domain_classifier : classifier with predict_proba, default=None
        None: a logistic regression on standardised features.
    embedding : "auto", "input" or callable, default="auto"
        ``"auto"``: the input of a pipeline's final step (the input ``X``
        for other estimators); ``"input"``: always ``X``; a callable
        ``embedding(estimator, X, sample_domain) -> features`` for a model
        that exposes its features otherwise (a network's penultimate layer).
    cv : int, default=5
        Cross-fitting folds of the domain classifier.
    random_state : int, RandomState instance or None, default=0
        Shuffles the cross-fitting folds.

    References
    ----------
    .. [1] K. You, X. Wang, M. Long and M. I. Jordan, "Towards Accurate Model
       Selection in Deep Unsupervised Domain Adaptation", ICML 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer import CORAL, make_da_pipeline, stack_domains
    >>> from sktransfer.model_selection import DeepEmbeddedValidation
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(200, 3)), rng.normal(0.5, 2.0, size=(200, 3))
    >>> ys = (Xs[:, 0] > 0).astype(int)
    >>> X, y, _ = stack_domains(Xs, ys, Xt)
    >>> pipe = make_da_pipeline(CORAL(), LogisticRegression()).fit(X[::2], y[::2])
    >>> float(DeepEmbeddedValidation()(pipe, X[1::2], y[1::2])) < 0  # minus a loss
    True
    """

    def __init__(self, domain_classifier=None, *, embedding="auto", cv=5, random_state=0):
        self.domain_classifier = domain_classifier
        self.embedding = embedding
        self.cv = cv
        self.random_state = random_state

    def _check_params(self):
        if not (callable(self.embedding) or self.embedding in ("auto", "input")):
            raise ValueError(
                f"DeepEmbeddedValidation: embedding must be 'auto', 'input' or a callable, got {self.embedding!r}."
            )
        if isinstance(self.cv, bool) or not isinstance(self.cv, Integral) or self.cv < 2:
            raise ValueError(f"DeepEmbeddedValidation: cv must be an integer of at least 2, got {self.cv!r}.")

    def _score(self, estimator, fold):
        self._check_params()
        require_method(self, estimator, "predict_proba")
        rows = np.concatenate([fold.source, fold.target])
        is_target = np.r_[np.zeros(fold.source.size, int), np.ones(fold.target.size, int)]
        n_folds = min(self.cv, fold.source.size, fold.target.size)
        if n_folds < 2:
            raise ValueError(
                "DeepEmbeddedValidation needs at least 2 labelled source rows and 2 target rows "
                f"in the validation rows, got {fold.source.size} and {fold.target.size}."
            )
        X_rows = take_rows(fold.X, rows)
        features = _features(self, estimator, self.embedding, X_rows, fold.sample_domain[rows])
        classifier = (
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
            if self.domain_classifier is None else clone(self.domain_classifier)
        )
        folds = StratifiedKFold(n_folds, shuffle=True, random_state=self.random_state)
        p_target = cross_val_predict(classifier, features, is_target, cv=folds, method="predict_proba")[:, 1]
        p_target = np.clip(p_target[: fold.source.size], _PROBA_FLOOR, 1 - _PROBA_FLOOR)
        weights = p_target / (1 - p_target) * fold.source.size / fold.target.size

        X_source, y_source, sd_source = fold.rows("source")
        proba = np.asarray(call_with_domains(estimator, "predict_proba", X_source, sd_source), dtype=float)
        classes = np.asarray(estimator.classes_)
        column = np.searchsorted(classes, y_source)
        known = (column < classes.size) & (classes[np.minimum(column, classes.size - 1)] == y_source)
        p_true = np.where(known, proba[np.arange(len(y_source)), np.minimum(column, classes.size - 1)], 0.0)
        loss = -np.log(np.clip(p_true, _EPS, 1.0))

        weighted = weights * loss
        variance = np.var(weights, ddof=1)
        eta = 0.0 if variance == 0 else -np.cov(weighted, weights)[0, 1] / variance
        return -(float(np.mean(weighted)) + eta * (float(np.mean(weights)) - 1.0))


def _masked_like(y, n):
    """An array of ``n`` masked labels of the kind ``y`` uses."""
    y = np.asarray(y)
    if y.dtype.kind == "f" and np.isnan(y).any():
        return np.full(n, np.nan)
    if y.dtype.kind in "iuf":
        return np.full(n, -1, dtype=y.dtype if y.dtype.kind != "u" else np.int64)
    return np.full(n, -1, dtype=object)


_RV_METRICS = {"accuracy": accuracy_score, "balanced_accuracy": balanced_accuracy_score}


def _seed_random_states(estimator, random_state):
    """Set every ``random_state`` parameter of ``estimator`` (nested ones too) from one seed."""
    rng = check_random_state(random_state)
    names = sorted(name for name in estimator.get_params(deep=True)
                   if name == "random_state" or name.endswith("__random_state"))
    estimator.set_params(**{name: int(rng.randint(np.iinfo(np.int32).max)) for name in names})


class ReverseValidation(DomainScorer):
    """Reverse (circular) validation (Zhong et al. 2010).

    The fitted model labels the target rows of the validation fold; a fresh
    copy of it (same parameters, :func:`~sklearn.base.clone`) is fitted the
    other way round, on those pseudo-labelled target rows as its labelled
    rows and the source rows as its unlabelled target, and predicts the
    source rows; the score is its accuracy against their true labels. A
    model whose target labels are wrong, or that adapts in a way that cannot
    be undone, scores low. It costs one extra fit per call.

    Parameters
    ----------
    scoring : {"accuracy", "balanced_accuracy"}, default="accuracy"
        How the reverse model's predictions of the source rows are scored.
    random_state : int, RandomState instance or None, default=None
        Seeds the reverse model: every ``random_state`` parameter of the
        clone (its steps' too) is set from it, as sklearn's ensembles seed
        their members, so an int gives the same score on every call. None:
        the clone keeps the random states of the model scored.

    Notes
    -----
    The reverse model is fitted on the validation rows only (pseudo-labelled
    target rows and masked source rows), with the domains swapped: if
    ``sample_domain`` was given, the reverse fit gets ``-sample_domain``.
    When the model gives every target row the same label, the reverse model
    cannot be fitted, and the score is that of predicting this label on
    every source row.

    References
    ----------
    .. [1] E. Zhong, W. Fan, Q. Yang, O. Verscheure and J. Ren, "Cross
       Validation Framework to Choose amongst Models and Datasets for
       Transfer Learning", ECML PKDD 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer import make_da_pipeline, stack_domains
    >>> from sktransfer.model_selection import ReverseValidation
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(100, 2)), rng.normal(0.5, 1.0, size=(100, 2))
    >>> X, y, _ = stack_domains(Xs, (Xs[:, 0] > 0).astype(int), Xt)
    >>> pipe = make_da_pipeline(LogisticRegression()).fit(X[::2], y[::2])
    >>> float(ReverseValidation()(pipe, X[1::2], y[1::2])) > 0.8
    True
    """

    def __init__(self, scoring="accuracy", *, random_state=None):
        self.scoring = scoring
        self.random_state = random_state

    def _score(self, estimator, fold):
        if self.scoring not in _RV_METRICS:
            raise ValueError(
                f"ReverseValidation: scoring must be one of {sorted(_RV_METRICS)}, got {self.scoring!r}."
            )
        metric = _RV_METRICS[self.scoring]
        if fold.target.size < 2:
            raise ValueError(
                f"{self} needs at least 2 target rows in the validation rows (the reverse model is "
                f"fitted on them), got {fold.target.size}. Use larger validation folds."
            )
        X_target, _, sd_target = fold.rows("target")
        pseudo = np.asarray(call_with_domains(estimator, "predict", X_target, sd_target))
        _, y_source, _ = fold.rows("source")
        if np.unique(pseudo).size < 2:
            return metric(y_source, np.full(len(y_source), pseudo[0], dtype=pseudo.dtype))
        rows = np.concatenate([fold.target, fold.source])
        reverse_y = np.concatenate([pseudo, _masked_like(fold.y, fold.source.size)])
        reverse_domain = -fold.sample_domain[rows]
        X_rows = take_rows(fold.X, rows)
        reverse = clone(estimator)
        if self.random_state is not None:
            _seed_random_states(reverse, self.random_state)
        if accepts_sample_domain(reverse, "fit"):
            reverse.fit(X_rows, reverse_y, sample_domain=reverse_domain)
        else:
            reverse.fit(X_rows, reverse_y)
        X_source = take_rows(fold.X, fold.source)
        predicted = call_with_domains(reverse, "predict", X_source, reverse_domain[fold.target.size:])
        return metric(y_source, np.asarray(predicted))


class TargetScorer(DomainScorer):
    """The true score on the target rows, from target labels given apart: for evaluation only.

    Never select hyper-parameters with it in unsupervised domain adaptation:
    the target labels it reads are the ones the method is supposed not to
    have. It exists to measure how well the unsupervised scorers choose, and
    for the rare case where a labelled target validation set exists.

    The target labels are per-row metadata, ``target_labels`` (one per row
    of ``X``; source rows' entries are ignored), passed directly or routed by
    sklearn's metadata routing (``GridSearchCV.fit(X, y,
    target_labels=...)``), so that they are split with the rows and never
    reach the estimator's ``fit``.

    Parameters
    ----------
    scoring : str, default="accuracy"
        A scorer name of :func:`sklearn.metrics.get_scorer`, applied to the
        target rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.model_selection import TargetScorer
    >>> X = np.array([[-2.0], [2.0], [-1.0], [1.0]])
    >>> y = np.array([0, 1, -1, -1])
    >>> model = LogisticRegression().fit(X[:2], y[:2])
    >>> TargetScorer()(model, X, y, target_labels=[0, 1, 0, 1])
    1.0
    """

    needs_source = False

    def __init__(self, scoring="accuracy"):
        self.scoring = scoring

    def __call__(self, estimator, X, y=None, *, sample_domain=None, target_labels=None):
        """Score ``estimator`` on the target rows of ``X`` against ``target_labels``.

        Parameters
        ----------
        estimator : fitted estimator
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Labels, masked on target rows (they tell the domains apart).
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain of each row; by default read from the masked labels.
        target_labels : array-like of shape (n_samples,)
            The true label of every row (entries of source rows are ignored).

        Returns
        -------
        score : float
        """
        if target_labels is None:
            raise ValueError(
                "TargetScorer needs the true target labels: pass target_labels= (one per row), "
                "directly or routed (GridSearchCV.fit(X, y, target_labels=...) with metadata "
                "routing on). It is for evaluation only, never for unsupervised model selection."
            )
        fold = Fold(self, X, y, sample_domain, needs_source=False, needs_target=True)
        labels = np.asarray(target_labels)
        if labels.shape[0] != len(fold.sample_domain):
            raise ValueError(
                f"TargetScorer: target_labels has {labels.shape[0]} entries but X has "
                f"{len(fold.sample_domain)} rows; give one per row."
            )
        masked = int(np.sum(unlabeled_mask(labels[fold.target])))
        if masked:
            raise ValueError(
                f"TargetScorer: {masked} of the {fold.target.size} target row(s) it scores have a "
                "masked label (-1 or NaN) in target_labels; TargetScorer needs the true labels of "
                "the target rows (pass the labels from before stack_domains masked them, not y)."
            )
        X_target, _, _ = fold.rows("target")
        return float(get_scorer(self.scoring)(estimator, X_target, labels[fold.target]))

    def get_metadata_routing(self):
        """Metadata routing: the scorer takes ``sample_domain`` and ``target_labels``."""
        request = super().get_metadata_routing()
        request.score.add_request(param="target_labels", alias=True)
        return request


class _LabeledRows:
    """An sklearn scorer applied to the rows whose label is not masked."""

    def __init__(self, scoring):
        self.scoring = scoring

    def __call__(self, estimator, X, y, **kwargs):
        n_samples = len(y)
        rows = np.flatnonzero(~unlabeled_mask(y))
        if rows.size == 0:
            raise ValueError(
                f"{self}: the validation rows hold no labelled row (every label is masked, -1 or "
                "NaN), so there is nothing to score. Split with LabeledKFold or DomainShuffleSplit, "
                "whose validation folds hold labelled rows."
            )
        # per-row metadata (sample_weight...) follows the rows kept
        kwargs = {name: take_rows(value, rows) if num_rows_or_none(value) == n_samples else value
                  for name, value in kwargs.items()}
        return get_scorer(self.scoring)(estimator, take_rows(X, rows), np.asarray(y)[rows], **kwargs)

    def get_metadata_routing(self):
        """Metadata routing: that of the wrapped sklearn scorer."""
        scorer = get_scorer(self.scoring)
        if hasattr(scorer, "get_metadata_routing"):
            return get_routing_for_object(scorer)
        return MetadataRequest(owner=type(self).__name__)

    def __repr__(self):
        return f"labeled_scorer({self.scoring!r})"


def num_rows_or_none(value):
    try:
        return len(value)
    except TypeError:
        return None


def labeled_scorer(scoring):
    """An sklearn scorer that scores the labelled rows only, for stacked data.

    ``cross_val_score(pipe, X, y, scoring="roc_auc")`` on stacked source and
    target rows gives NaN: the validation folds hold masked target rows,
    sklearn's scorer reads their ``-1`` as a class, fails, and
    ``cross_val_score`` turns the failure into NaN with a warning.
    ``scoring=labeled_scorer("roc_auc")`` drops the masked rows (``-1``,
    ``NaN``) of each validation fold first, with their entries of per-row
    metadata such as ``sample_weight``. The other way is the splitter
    :class:`LabeledKFold`, whose validation folds hold labelled rows only.

    Either way the score is that of the labelled rows: the source score in
    unsupervised domain adaptation, not an estimate of the target score
    (for that, see :class:`ImportanceWeightedScorer` and the other scorers
    of this module).

    Parameters
    ----------
    scoring : str or callable
        A scorer name of :func:`sklearn.metrics.get_scorer` (``"roc_auc"``,
        ``"accuracy"``, ``"neg_log_loss"``...) or a scorer callable
        ``scorer(estimator, X, y)``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, **kwargs) -> float``.

    See Also
    --------
    sktransfer.metrics.LabeledRowsScorer : The same, from a score function
        ``score_func(y_true, y_score)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from sktransfer import make_da_pipeline
    >>> from sktransfer.model_selection import labeled_scorer
    >>> X = np.array([[0.0], [0.2], [0.9], [1.0], [0.1], [0.8], [0.5], [0.4]])
    >>> y = np.array([0, 0, 1, 1, 0, 1, -1, -1])
    >>> scores = cross_val_score(make_da_pipeline(LogisticRegression()), X, y, cv=2,
    ...                          scoring=labeled_scorer("roc_auc"))
    >>> scores.tolist()
    [1.0, 1.0]
    """
    get_scorer(scoring)  # an unknown name fails here, with sklearn's list of names
    return _LabeledRows(scoring)
