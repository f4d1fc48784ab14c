"""The few-shot selector: source-only, target-only or a transfer strategy, by repeated CV.

:class:`FewShotTransferClassifier` / :class:`FewShotTransferRegressor` fit
the source model once, score every candidate on the same repeated folds of
the labelled target rows (source-only included, with the source model as
fitted), and keep the safest candidate whose mean loss is within half a
standard error of the best (the rule of ``RegularizedTransfer(lam="auto")``,
:func:`~sktransfer.parameter._fewshot.choose_safest`). Source-only is the
safest, so it wins unless a candidate beats it by more than that margin, and
the estimator says so when it does.
"""

import warnings
from typing import ClassVar

import numpy as np
from sklearn.base import clone

from .._domain import DomainWarning
from ._augmentation import FeatureAugmentationClassifier, FeatureAugmentationRegressor
from ._fewshot import check_cv_params, choose_safest, target_folds
from ._offset_boosting import (
    ROUNDS_GRID,
    ContinuedBoostingClassifier,
    ContinuedBoostingRegressor,
)
from ._pooling import PooledTransferClassifier, PooledTransferRegressor
from ._stacking import SourceStackingClassifier, SourceStackingRegressor
from ._tabular import (
    _BaseFewShot,
    _FewShotClassifierMixin,
    _FewShotRegressorMixin,
    default_estimator,
    log_loss_of,
    log_loss_of_raw,
    proba_columns,
    quiet_fit,
    squared_error_of,
)

__all__ = ["STRATEGIES", "FewShotTransferClassifier", "FewShotTransferRegressor"]

# from the safest (the source model as it is) to the least safe (the source
# dropped): ties and near-ties within the tolerance go to the earlier one
STRATEGIES = ("source_only", "recalibrated_source", "continued_boosting", "stacking", "pooling",
              "augmentation", "target_only")
# the default candidates: those that reuse the fitted source model. Pooling and
# augmentation refit on all the source rows in each of the cv x cv_repeats
# folds (15 source fits by default), which on a large source costs far more
# than the rest together; they are opt-in
DEFAULT_STRATEGIES = ("source_only", "recalibrated_source", "continued_boosting", "stacking", "target_only")
_BOOSTING_ROUNDS = tuple(k for k in ROUNDS_GRID if k > 0)


class _Recalibrated:
    """The source model's raw score refitted to the target rows by a line:
    ``a * score + b`` (Platt scaling for classification, a linear fit for
    regression). It keeps the source model's ranking (the same AUC) and
    corrects its level and scale: what a shift of the base rate or an
    over-confident source model need."""

    def __init__(self, parent, Ft, yt):
        from sklearn.linear_model import LinearRegression, LogisticRegression

        self._parent = parent
        features = Ft.reshape(len(Ft), -1)
        if parent._task == "classification":
            self.line_ = quiet_fit(LogisticRegression(C=100.0), features, yt)
        else:
            self.line_ = LinearRegression().fit(features, yt)

    def _output(self, X):
        parent = self._parent
        score = parent._source_score(parent.source_estimator_, X)
        features = score.reshape(len(score), -1)
        if parent._task == "classification":
            return proba_columns(self.line_, features, len(parent.classes_))
        return self.line_.predict(features)

    _proba = _predict = _output


def _boosting_label(k):
    return f"continued_boosting(n_rounds={k})"


class _BaseFewShotTransfer(_BaseFewShot):
    _uses_source_model = True
    _strategy_classes = None  # name -> class, set by the subclasses

    def __init__(self, estimator=None, *, source_estimator=None, strategies=None, cv=5, cv_repeats=3,
                 warn_on_fallback=True, random_state=0):
        self.estimator = estimator
        self.source_estimator = source_estimator
        self.strategies = strategies
        self.cv = cv
        self.cv_repeats = cv_repeats
        self.warn_on_fallback = warn_on_fallback
        self.random_state = random_state

    def _estimator(self):
        return default_estimator(self._task, self.random_state) if self.estimator is None else self.estimator

    def _source_template(self):
        return self._estimator() if self.source_estimator is None else self.source_estimator

    def _strategies(self):
        who = type(self).__name__
        chosen = DEFAULT_STRATEGIES if self.strategies is None else self.strategies
        if isinstance(chosen, str) or not all(isinstance(s, str) for s in chosen):
            raise ValueError(
                f"{who}: strategies must be None or a list of names among {list(STRATEGIES)}, "
                f"got {chosen!r}."
            )
        unknown = sorted(set(chosen) - set(STRATEGIES))
        if unknown:
            raise ValueError(f"{who}: unknown strategies {unknown}; the strategies are {list(STRATEGIES)}.")
        # source-only is always a candidate: it is the safe fallback
        return [s for s in STRATEGIES if s in chosen or s == "source_only"]

    def _check_params(self):
        check_cv_params(self.cv, self.cv_repeats, type(self).__name__)
        if not isinstance(self.warn_on_fallback, (bool, np.bool_)):
            raise TypeError(
                f"{type(self).__name__}: warn_on_fallback must be True or False, got {self.warn_on_fallback!r}."
            )
        self._strategies()

    def _candidate(self, name, n_rounds=None):
        cls = self._strategy_classes[name]
        if name == "continued_boosting":
            return cls(n_rounds=n_rounds, random_state=self.random_state)
        return cls(self._estimator(), random_state=self.random_state)

    def _loss(self, pred, y):
        if self._task == "classification":
            return log_loss_of(pred, y)
        return squared_error_of(pred, y)

    def _raw_loss(self, raw, y):
        if self._task == "classification":
            return log_loss_of_raw(raw, y)
        return squared_error_of(raw, y)

    def _predict_rows(self, model, X):
        if self._task == "classification":
            return model._proba(X) if hasattr(model, "_proba") else proba_columns(model, X, len(self.classes_))
        return model._predict(X) if hasattr(model, "_predict") else np.asarray(model.predict(X), float)

    def _fit_candidate(self, label, Xs, ys, Xt, yt, Ft, source_model):
        """The candidate ``label`` fitted on these target rows (None for source-only)."""
        if label == "source_only":
            return None
        if label == "target_only":
            return quiet_fit(clone(self._estimator()), Xt, yt)
        if label == "recalibrated_source":
            return _Recalibrated(self, Ft, yt)
        if label.startswith("continued_boosting"):
            candidate = self._candidate("continued_boosting", self._rounds[label])
        else:
            candidate = self._candidate(label)
        return candidate._fit_from(self, Xs, ys, Xt, yt, Ft, source_model)

    def _fit_rows(self, Xs, ys, Xt, yt, Ft, source_model):
        who = type(self).__name__
        names = self._strategies()
        if self._task == "classification" and len(np.unique(yt)) < 2:
            # a target model cannot be fitted on one class
            names = [n for n in names if n not in ("stacking", "target_only")]
        labels, self._rounds = [], {}
        for name in names:
            if name == "continued_boosting":
                for k in _BOOSTING_ROUNDS:
                    labels.append(_boosting_label(k))
                    self._rounds[_boosting_label(k)] = k
            else:
                labels.append(name)
        folds = target_folds(yt, cv=self.cv, cv_repeats=self.cv_repeats,
                             stratify=self._task == "classification", random_state=self.random_state)
        self.cv_results_ = None
        if folds is None or len(labels) == 1:
            self.chosen_, self.strategy_ = "source_only", None
            self.selection_message_ = (
                f"{who}: source-only: too few labelled target rows ({len(yt)}, or a class with "
                "one row) to cross-validate a transfer strategy." if folds is None
                else f"{who}: source-only: it was the only candidate."
            )
            self._say_fallback()
            return self
        fold_losses = {label: [] for label in labels}
        boosting = [label for label in labels if label in self._rounds]
        for train, valid in folds:
            fold_losses["source_only"].append(self._raw_loss(Ft[valid], yt[valid]))
            if boosting:
                staged = self._candidate("continued_boosting", max(_BOOSTING_ROUNDS))
                staged.classes_ = getattr(self, "classes_", None)
                losses = staged._staged_losses(Xt, yt, Ft, train, valid, _BOOSTING_ROUNDS)
                for label in boosting:
                    fold_losses[label].append(losses[self._rounds[label]])
            for label in labels:
                if label == "source_only" or label in self._rounds:
                    continue
                model = self._fit_candidate(label, Xs, ys, Xt[train], yt[train], Ft[train], source_model)
                fold_losses[label].append(self._loss(self._predict_rows(model, Xt[valid]), yt[valid]))
        chosen, means, tolerance = choose_safest(fold_losses, order=labels)
        best = min(labels, key=means.get)
        scores = {label: -np.asarray(fold_losses[label]) for label in labels}
        self.cv_results_ = {
            "candidate": np.asarray(labels, dtype=object),
            "mean_test_score": np.array([scores[label].mean() for label in labels]),
            "std_test_score": np.array([scores[label].std() for label in labels]),
            "rank_test_score": np.argsort(np.argsort([means[label] for label in labels], kind="stable")) + 1,
        }
        self.tolerance_ = tolerance
        self.chosen_ = chosen
        self.strategy_ = self._fit_candidate(chosen, Xs, ys, Xt, yt, Ft, source_model)
        loss_name = "log loss" if self._task == "classification" else "squared error"
        if chosen == "source_only":
            self.selection_message_ = (
                f"{who}: source-only. Cross-validation on the {len(yt)} labelled target rows "
                f"({len(folds)} folds) found no strategy whose mean {loss_name} beats the source "
                f"model's ({means['source_only']:.4f}) by more than half a standard error "
                f"({tolerance:.4f}); the best was {best} ({means[best]:.4f})."
            )
            self._say_fallback()
        else:
            self.selection_message_ = (
                f"{who}: {chosen}, mean {loss_name} {means[chosen]:.4f} against the source "
                f"model's {means['source_only']:.4f} over {len(folds)} folds of the {len(yt)} "
                f"labelled target rows (tolerance {tolerance:.4f})."
            )
        return self

    def _no_target(self):
        self.chosen_, self.strategy_, self.cv_results_, self.tolerance_ = "source_only", None, None, None
        self.selection_message_ = f"{type(self).__name__}: source-only: fit saw no labelled target row."

    def _say_fallback(self):
        if self.warn_on_fallback:
            warnings.warn(self.selection_message_ + " The model is the source model.",
                          DomainWarning, stacklevel=4)

    def _target_output(self, X):
        if self.chosen_ == "source_only":
            if self._task == "classification":
                return self._source_proba(X)
            return self._source_score(self.source_estimator_, X)
        return self._predict_rows(self.strategy_, X)


_DOC = """Few-shot transfer for {any}: source-only, target-only or a transfer strategy, chosen by CV.

    The source model (``source_estimator``, by default ``estimator``) is
    fitted once on the labelled source rows. Each candidate is then scored
    by ``cv_repeats`` x ``cv``-fold cross-validation on the labelled target
    rows ({loss} on the held-out target fold; the source rows are in every
    training fold):

    - ``source_only``: the source model as it is (scored on the same folds);
    - ``recalibrated_source``: the source model's raw score refitted to the
      target rows by a line, ``a * score + b`` (Platt scaling for
      classification): the source model's ranking, hence its AUC, with the
      target's level and scale (a moved base rate, an over-confident source);
    - ``continued_boosting``: :class:`ContinuedBoosting{Kind}` with 5, 10, 20,
      50 or 100 target rounds on top of the source model's raw score (each
      round count a candidate, all scored from one boosting per fold);
    - ``stacking``: :class:`SourceStacking{Kind}`, ``estimator`` on the target
      rows with the source score as a feature;
    - ``target_only``: ``estimator`` on the target rows alone;
    - ``pooling``: :class:`PooledTransfer{Kind}`, ``estimator`` on source and
      target rows, the target rows weighing as much in total as the source
      (not a default candidate, see ``strategies``);
    - ``augmentation``: :class:`FeatureAugmentation{Kind}` (Daumé III; not a
      default candidate).

    The candidates are ordered from the safest (source-only; its
    recalibration; then boosting
    by rounds, each round moving further from the source; stacking, which
    keeps the source score; pooling and augmentation, refitted; target-only,
    which drops the source) to the least safe, and the chosen one is the
    first whose mean loss is within half a standard error of the best
    (the rule of ``RegularizedTransfer{Kind}(lam="auto")``). So source-only
    wins unless a candidate beats it by more than that margin: when the data
    cannot tell that adapting helps, the model is the source model, and
    ``selection_message_`` (and, with ``warn_on_fallback``, a
    :class:`~sktransfer.DomainWarning`) says so. The chosen candidate is then
    refitted on all the labelled target rows (the source model reused).

    Labelled target rows are the rows with a label and a negative
    ``sample_domain``; labelled rows with a positive one are source rows;
    unlabelled rows are not used. Without labelled target rows the model is
    the source model, with a :class:`~sktransfer.DomainWarning`. Predictions
    are for target rows.

    Parameters
    ----------
    estimator : estimator object, default=None
        Any sklearn {kind} (it must take ``sample_weight`` for pooling):
        the source model when ``source_estimator`` is None, and the target
        model of stacking, pooling, augmentation and target-only. ``None``
        means sklearn's ``HistGradientBoosting{Kind}`` with its defaults.
    source_estimator : estimator object, default=None
        The source model, fitted or not (a fitted one is used as it is; wrap
        it in :class:`sklearn.frozen.FrozenEstimator` to keep it through
        ``clone``); a LightGBM model is accepted. ``None`` means ``estimator``.
    strategies : list of str, default=None
        The candidates, among ``STRATEGIES``. ``None`` means
        ``DEFAULT_STRATEGIES``: source-only, recalibrated source, continued
        boosting, stacking and target-only, the candidates that reuse the
        fitted source model.
        Add ``"pooling"`` and ``"augmentation"`` (or pass ``STRATEGIES``) to
        score them too: each refits ``estimator`` on all the source rows in
        every fold (``cv * cv_repeats`` fits), the cost of 15 source fits by
        default. ``source_only`` is always a candidate.
    cv : int, default=5
        Folds of the cross-validation on the labelled target rows.
    cv_repeats : int, default=3
        Times the cross-validation is repeated with reshuffled folds.
    warn_on_fallback : bool, default=True
        Whether a fit that keeps the source model warns (DomainWarning).
    random_state : int, RandomState instance or None, default=0
        Seed of the folds, of the boosting trees and of the default
        estimator; the default gives the same folds, hence the same choice,
        on every fit.

    Attributes
    ----------{classes}
    chosen_ : str
        The chosen candidate: ``"source_only"``, ``"target_only"``,
        ``"recalibrated_source"``, ``"stacking"``, ``"pooling"``, ``"augmentation"`` or
        ``"continued_boosting(n_rounds=k)"``.
    strategy_ : estimator object or None
        The chosen candidate refitted on all the labelled target rows (None
        for source-only: the model is ``source_estimator_``; for
        ``recalibrated_source``, an object whose ``line_`` is the fitted line).
    cv_results_ : dict of ndarray or None
        One entry per candidate: ``candidate``, ``mean_test_score`` and
        ``std_test_score`` (negative {loss}, mean and standard deviation
        over the folds), ``rank_test_score``; readable with
        ``pandas.DataFrame(cv_results_)``. None when there was no
        cross-validation (no or too few target rows).
    tolerance_ : float
        Half the standard error of the best candidate's fold losses: the
        margin a candidate had to beat the safer ones by.
    selection_message_ : str
        What was chosen and why, in words (absent when ``fallback_``).
    source_estimator_ : estimator object
        The fitted source model.
    n_source_rows_, n_target_rows_ : int
        Labelled source and target rows.
    fallback_ : bool
        True when fit saw no labelled target row.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    ContinuedBoosting{Kind}, SourceStacking{Kind}, PooledTransfer{Kind},
    FeatureAugmentation{Kind} : the strategies, on their own.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import {example_model}
    >>> from sktransfer import stack_domains
    >>> from sktransfer.parameter import FewShotTransfer{Kind}
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(300, 2)), rng.normal(size=(60, 2))
    >>> {example_labels}
    >>> X, y, sample_domain = stack_domains(Xs, ys, Xt, yt, mask_target=False)
    >>> model = FewShotTransfer{Kind}({example_model}(), warn_on_fallback=False)
    >>> model.fit(X, y, sample_domain=sample_domain).chosen_
    'source_only'
"""


class FewShotTransferClassifier(_FewShotClassifierMixin, _BaseFewShotTransfer):
    __doc__ = _DOC.format(
        any="classification", loss="log loss", kind="classifier", Kind="Classifier",
        example_model="LogisticRegression",
        example_labels=(
            "def labels(X):  # the same concept in both domains\n"
            "    ...     return (rng.random(len(X)) < 1 / (1 + np.exp(-2 * X[:, 0]))).astype(int)\n"
            "    >>> ys, yt = labels(Xs), labels(Xt)"),
        classes="\n    classes_ : ndarray of shape (n_classes,)\n        The class labels.")
    _strategy_classes: ClassVar[dict] = {
        "continued_boosting": ContinuedBoostingClassifier,
        "stacking": SourceStackingClassifier,
        "pooling": PooledTransferClassifier,
        "augmentation": FeatureAugmentationClassifier,
    }

    def _proba(self, X):
        return self._target_output(X)


class FewShotTransferRegressor(_FewShotRegressorMixin, _BaseFewShotTransfer):
    __doc__ = _DOC.format(
        any="regression", loss="squared error", kind="regressor", Kind="Regressor",
        example_model="Ridge", example_labels=(
            "def labels(X):  # the same concept in both domains\n"
            "    ...     return X @ [1.0, -1.0] + rng.normal(size=len(X))\n"
            "    >>> ys, yt = labels(Xs), labels(Xt)"),
        classes="")
    _strategy_classes: ClassVar[dict] = {
        "continued_boosting": ContinuedBoostingRegressor,
        "stacking": SourceStackingRegressor,
        "pooling": PooledTransferRegressor,
        "augmentation": FeatureAugmentationRegressor,
    }

    def _predict(self, X):
        return self._target_output(X)
