"""A classifier adjusted to the class prior of the target domain."""

import warnings
from copy import deepcopy
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._domain import fit_domains, num_rows, predict_domains, unlabeled_mask
from ..pipeline import _take_rows
from ._calibration import TemperatureScaling, _Identity
from ._estimation import (
    LabelShiftWarning,
    _reweight,
    bbse_prior,
    cc_prior,
    em_prior,
    joint_confusion,
    label_shift_test,
    pcc_prior,
    warn_bbse,
    warn_em,
)

__all__ = ["LabelShiftAdjustedClassifier"]

CALIBRATIONS = ("bcts", "ts", None)
ADJUST_METHODS = ("em", "bbse")
MIN_TEST_ROWS = 20  # fewer unlabelled target rows: the label-shift test is not run


class LabelShiftAdjustedClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """A source classifier whose probabilities are moved to the target's class prior.

    Under label shift the class prior changes between the domains (a
    portfolio with more defaults) while ``p(x | y)`` stays. ``fit``:

    1. fits ``estimator`` on the labelled source rows, and clones of it on
       ``cv`` stratified folds of them, whose out-of-fold probabilities are
       the held-out source probabilities (the fold models also score the
       target rows for the prior estimate);
    2. calibrates on those (bias-corrected temperature scaling by default);
    3. estimates the target prior from the unlabelled target rows by EM
       (maximum likelihood) or BBSE (the held-out confusion matrix);
    4. stores the class weights ``target_prior_ / reference_prior_``.

    ``predict_proba`` returns ``p_t(y | x) ∝ q(y | x) * target_prior_[y] /
    reference_prior_[y]``, with ``q`` the calibrated probabilities of the
    classifier fitted on all labelled source rows; ``predict`` their argmax.

    Labelled target rows (a label and a negative ``sample_domain``, the few
    shots) enter the prior estimate: their class is known, so they are
    counted as such in every EM step (the maximum-likelihood estimate from
    labelled and unlabelled target rows), or added to BBSE's estimate as
    counts. The classifier and the calibration are learnt from the source
    rows only.

    Parameters
    ----------
    estimator : classifier with predict_proba, default=None
        None: ``make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))``.
    method : {"em", "bbse"}, default="em"
        How the target prior is estimated. ``"em"`` (Saerens et al. 2002)
        needs calibrated probabilities, ``"bbse"`` (Lipton et al. 2018) an
        invertible confusion matrix; Alexandari et al. (2020) found EM with
        BCTS the more accurate.
    calibration : {"bcts", "ts"} or None, default="bcts"
        Calibration fitted on the out-of-fold source probabilities:
        temperature scaling with a bias per class (BCTS), without (``"ts"``),
        or none (the classifier's probabilities as they are).
    alpha : float in (0, 1) or None, default=0.05
        Level of the goodness-of-fit test of the label-shift assumption: under
        label shift the target's distribution of calibrated scores is the
        mixture, with the estimated target prior as weights, of the held-out
        source rows' class-conditional ones (a Kolmogorov-Smirnov test, see
        the notes). When it rejects, ``p(x | y)`` moves too, the prior
        estimate is not trusted and the probabilities are *not* adjusted:
        the fit falls back to the calibrated source model (``fallback_``, a
        :class:`LabelShiftWarning`). None: always adjust.
    cv : int, default=5
        Folds of the cross-fitting (stratified), fewer when the smallest
        class has fewer labelled source rows; ``cv`` more fits of ``estimator``.
    n_bootstrap : int, default=100
        Bootstrap resamples of the target rows for ``target_prior_interval_``
        (0: no interval). The classifier and the calibration are held fixed:
        the interval is the sampling error of the target rows only.
    random_state : int, RandomState instance or None, default=None
        Shuffles the folds and draws the bootstrap resamples.

    Attributes
    ----------
    estimator_ : classifier
        ``estimator`` fitted on all labelled source rows: it makes the
        predictions.
    fold_estimators_ : list of classifiers
        The ``cv`` fold models. They score the held-out source rows and, each
        row by a fold drawn at random, the target rows the prior is estimated
        from, so that both have the scores the calibration was fitted on.
    calibrator_ : TemperatureScaling or None
        The fitted calibration.
    classes_ : ndarray of shape (n_classes,)
    source_prior_ : ndarray of shape (n_classes,)
        Class frequencies of the labelled source rows.
    reference_prior_ : ndarray of shape (n_classes,)
        Mean calibrated out-of-fold probability of each class: the prior the
        calibrated probabilities encode, the denominator of the adjustment.
        Equal to ``source_prior_`` under BCTS (up to the optimiser's tolerance).
    target_prior_ : ndarray of shape (n_classes,)
        Estimated target prior: ``label_shift_prior_``, or, after a fallback,
        the mean calibrated probability of the target rows (the estimate
        under covariate shift); ``reference_prior_`` without target rows.
    label_shift_prior_ : ndarray of shape (n_classes,)
        The EM or BBSE estimate, whether or not it is used.
    label_shift_pvalue_ : float or None
        p-value of the label-shift test (None when not run: ``alpha=None``,
        fewer than 20 unlabelled target rows, or nothing held out).
    fallback_ : bool
        Whether the test rejected and the probabilities are left unadjusted.
    target_prior_interval_ : ndarray of shape (2, n_classes) or None
        2.5% and 97.5% bootstrap percentiles of ``target_prior_``.
    class_weights_ : ndarray of shape (n_classes,)
        ``target_prior_ / reference_prior_``.
    confusion_matrix_ : ndarray of shape (n_classes, n_classes)
        ``C[i, j]``: share of held-out source rows predicted ``i`` whose class
        is ``j`` (after calibration), BBSE's matrix.
    n_iter_ : int
        EM iterations (0 for BBSE).
    prior_clipped_ : bool
        Whether BBSE's raw solution had negative weights (clipped to 0).
    n_target_ : int
        Target rows the prior was estimated from (labelled and unlabelled).
    n_features_in_ : int
        Number of features seen during ``fit``.

    See Also
    --------
    estimate_target_prior : the same estimates from probabilities.

    Notes
    -----
    Without target rows (no masked label, no negative ``sample_domain``) there
    is nothing to adapt to: the target prior is the reference prior, the
    probabilities are the calibrated source ones, and a
    :class:`~sktransfer.DomainWarning` says so. ``predict_proba(X,
    sample_domain=...)`` returns the calibrated, unadjusted probabilities for
    rows with a positive id (source rows).

    Label shift is an assumption: when ``p(x | y)`` also moves (covariate or
    concept shift), EM and BBSE estimate the prior with a bias that the
    bootstrap interval does not show, and with a weak classifier the bias is
    large (EM reads any rise of the mean score as a much larger rise of the
    prior). The goodness-of-fit test (``alpha``) guards against it; it is
    conservative (the prior it tests is fitted on the same rows), so a
    mild violation can pass.

    References
    ----------
    .. [1] M. Saerens, P. Latinne and C. Decaestecker, "Adjusting the outputs of
       a classifier to new a priori probabilities: a simple procedure",
       Neural Computation 14(1), 2002.
    .. [2] Z. Lipton, Y.-X. Wang and A. Smola, "Detecting and correcting for
       label shift with black box predictors", ICML 2018.
    .. [3] A. Alexandari, A. Kundaje and A. Shrikumar, "Maximum likelihood with
       bias-corrected calibration is hard-to-beat at label shift adaptation",
       ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.label_shift import LabelShiftAdjustedClassifier
    >>> rng = np.random.default_rng(0)
    >>> def sample(n, prior):
    ...     y = (rng.random(n) < prior).astype(int)
    ...     return rng.normal(y[:, None] * 1.5, 1.0, size=(n, 2)), y
    >>> Xs, ys = sample(2000, 0.5); Xt, yt = sample(2000, 0.1)
    >>> X, y, _ = stack_domains(Xs, ys, Xt)          # y = -1 on the target rows
    >>> clf = LabelShiftAdjustedClassifier(random_state=0).fit(X, y)
    >>> [round(float(p[1]), 2) for p in (clf.source_prior_, clf.target_prior_)], round(float(yt.mean()), 2)
    ([0.5, 0.09], 0.1)
    >>> clf.predict_proba(Xt[:2]).shape
    (2, 2)
    """

    __metadata_request__fit = {"sample_domain": True}
    __metadata_request__predict = {"sample_domain": True}
    __metadata_request__predict_proba = {"sample_domain": True}
    _sktransfer_domain_aware = True  # make_da_pipeline keeps it as the final step

    def __init__(self, estimator=None, *, method="em", calibration="bcts", alpha=0.05, cv=5,
                 n_bootstrap=100, random_state=None):
        self.estimator = estimator
        self.method = method
        self.calibration = calibration
        self.alpha = alpha
        self.cv = cv
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    def _resolve_estimator(self):
        if self.estimator is None:
            return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        return self.estimator

    def _check_params(self):
        who = type(self).__name__
        if self.method not in ADJUST_METHODS:
            raise ValueError(f"{who}: method must be one of {ADJUST_METHODS}, got {self.method!r}.")
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"{who}: calibration must be 'bcts', 'ts' or None, got {self.calibration!r}.")
        if self.alpha is not None and (not isinstance(self.alpha, Real) or isinstance(self.alpha, bool)
                                       or not 0 < self.alpha < 1):
            raise ValueError(f"{who}: alpha must be None or a number in (0, 1), got {self.alpha!r}.")
        if not isinstance(self.cv, Integral) or isinstance(self.cv, bool) or self.cv < 2:
            raise ValueError(f"{who}: cv must be an integer of at least 2, got {self.cv!r}.")
        if not isinstance(self.n_bootstrap, Integral) or isinstance(self.n_bootstrap, bool) \
                or self.n_bootstrap < 0:
            raise ValueError(f"{who}: n_bootstrap must be a non-negative integer, got {self.n_bootstrap!r}.")
        estimator = self._resolve_estimator()
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(
                f"{who}: estimator must have predict_proba (label-shift adjustment moves class "
                f"probabilities); {type(estimator).__name__} has none. Wrap it, e.g. in "
                "sklearn.calibration.CalibratedClassifierCV."
            )
        return estimator

    def fit(self, X, y, sample_domain=None):
        """Fit the classifier and its calibration on the source rows, then estimate the target prior.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows, stacked.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` marks unlabelled target rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain of each row: positive for source, negative for target.
            Target rows with a label are the few shots (see the class notes).

        Returns
        -------
        self : LabelShiftAdjustedClassifier
        """
        who = type(self).__name__
        estimator = self._check_params()
        if y is None:
            raise ValueError(f"{who} requires y to be passed, but the target y is None.")
        n_samples = num_rows(X)
        y = column_or_1d(y, warn=True)
        if len(y) != n_samples:
            raise ValueError(f"{who}: X has {n_samples} rows but y has {len(y)} labels.")
        domains = fit_domains(y, sample_domain, n_samples=n_samples, task="classification",
                              estimator=who)
        unlabelled = unlabeled_mask(y, "classification")
        if np.any((domains > 0) & unlabelled):
            raise ValueError(
                f"{who}: {int(np.sum((domains > 0) & unlabelled))} row(s) that sample_domain marks as "
                "source have no label (NaN): source rows must be labelled; give unlabelled target "
                "rows a negative sample_domain."
            )
        source = (domains > 0) & ~unlabelled
        target_labelled = (domains < 0) & ~unlabelled
        target_unlabelled = (domains < 0) & unlabelled
        ys = y[source]
        check_classification_targets(ys)
        classes, ys_index = np.unique(ys, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"{who}: the labelled source rows hold one class only ({classes[0]!r}); a "
                "classifier needs at least two."
            )
        Xs = _take_rows(X, np.flatnonzero(source))
        self.estimator_ = clone(estimator).fit(Xs, ys)
        self.classes_ = np.asarray(self.estimator_.classes_)
        if not np.array_equal(self.classes_, classes):
            raise ValueError(f"{who}: the fitted estimator's classes_ {self.classes_} differ from "
                             f"the source labels {classes}.")
        k = len(classes)
        counts = np.bincount(ys_index, minlength=k)
        self.source_prior_ = counts / counts.sum()

        holdout = self._out_of_fold_proba(Xs, ys, counts)
        if holdout is None or self.calibration is None:
            self.calibrator_ = None
        else:
            self.calibrator_ = TemperatureScaling(bias=self.calibration == "bcts").fit(holdout, ys_index)
        if holdout is None:  # too few rows per class to hold any out
            self.reference_prior_ = self.source_prior_.copy()
            self.confusion_matrix_ = np.diag(self.source_prior_)
            self._holdout = None
        else:
            holdout = self._calibrate(holdout)
            self.reference_prior_ = holdout.mean(axis=0)
            self.confusion_matrix_ = joint_confusion(holdout, ys_index, k)
            self._holdout = (holdout, ys_index)

        labels = y[target_labelled]
        unknown = ~np.isin(labels, classes)
        if np.any(unknown):
            raise ValueError(
                f"{who}: labelled target rows hold classes the source lacks "
                f"({np.unique(labels[unknown])[:5].tolist()}); the source classifier cannot predict them."
            )
        target_counts = np.bincount(np.searchsorted(classes, labels), minlength=k).astype(float)
        proba_t = self._target_proba(_take_rows(X, np.flatnonzero(target_unlabelled)))
        self._estimate_prior(proba_t, target_counts)
        return self

    def _out_of_fold_proba(self, Xs, ys, counts):
        """Out-of-fold probabilities of the source rows; keeps the fold models."""
        self.fold_estimators_ = []
        n_folds = min(self.cv, int(counts.min()))
        if n_folds < 2:
            warnings.warn(
                f"{type(self).__name__}: a class has {int(counts.min())} labelled source row(s), too "
                "few to hold any out: no calibration, the reference prior is the source class "
                "frequencies and BBSE cannot be used (its confusion matrix is the identity).",
                LabelShiftWarning,
                stacklevel=3,
            )
            return None
        seed = check_random_state(self.random_state).randint(2**31 - 1)
        splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
        proba = np.zeros((len(ys), len(counts)))
        estimator = self._resolve_estimator()
        for train, valid in splitter.split(np.zeros((len(ys), 1)), ys):
            model = clone(estimator).fit(_take_rows(Xs, train), ys[train])
            self.fold_estimators_.append(model)
            proba[valid] = self._proba_of(model, _take_rows(Xs, valid))
        return proba

    def _proba_of(self, model, X):
        """``model.predict_proba`` in the columns of ``classes_``."""
        proba = np.zeros((num_rows(X), len(self.classes_)))
        proba[:, np.searchsorted(self.classes_, model.classes_)] = model.predict_proba(X)
        return proba

    def _target_proba(self, X):
        """Calibrated probabilities of target rows for the prior estimate.

        Each row is scored by one fold model drawn at random, so that its
        score has the distribution of the held-out source scores the
        calibration, the reference prior, the confusion matrix and the
        label-shift test were computed from (the model fitted on all source
        rows is sharper than the fold models, and would read as a shift).
        """
        n = num_rows(X)
        if n == 0:
            return np.empty((0, len(self.classes_)))
        if not self.fold_estimators_:
            return self._calibrate(self._proba_of(self.estimator_, X))
        # an int random_state draws the same folds on every call
        rng = check_random_state(self.random_state)
        fold = rng.randint(0, len(self.fold_estimators_), n)
        proba = np.zeros((n, len(self.classes_)))
        for f, model in enumerate(self.fold_estimators_):
            rows = np.flatnonzero(fold == f)
            if len(rows):
                proba[rows] = self._proba_of(model, _take_rows(X, rows))
        return self._calibrate(proba)

    def _calibrate(self, proba):
        proba = np.asarray(proba, dtype=np.float64)
        return proba if self.calibrator_ is None else self.calibrator_.transform(proba)

    def _estimate_prior(self, proba_t, target_counts):
        who = type(self).__name__
        k = len(self.classes_)
        self.n_target_ = int(len(proba_t) + target_counts.sum())
        self.n_iter_ = 0
        self.prior_clipped_ = False
        self.target_prior_interval_ = None
        self.label_shift_pvalue_ = None
        self.fallback_ = False
        if self.n_target_ == 0:  # the DomainWarning of fit_domains said so
            self.target_prior_ = self.reference_prior_.copy()
            self.label_shift_prior_ = self.target_prior_.copy()
            self.class_weights_ = np.ones(k)
            return

        def estimate(rows, counts, fallback):
            if fallback:
                return pcc_prior(rows, labelled_counts=counts), None
            if self.method == "em":
                prior, n_iter, converged = em_prior(rows, self.reference_prior_, labelled_counts=counts)
                return prior, (n_iter, converged)
            prior, clipped, singular, _ = bbse_prior(rows, self.confusion_matrix_, labelled_counts=counts)
            return prior, (clipped, singular)

        self.label_shift_prior_, info = estimate(proba_t, target_counts, False)
        if self.method == "em":
            self.n_iter_ = info[0]
            warn_em(info[1], 1000, who)
        else:
            self.prior_clipped_ = info[0]
            warn_bbse(info[0], info[1], who)
        if self.alpha is not None and self._holdout is not None and len(proba_t) >= MIN_TEST_ROWS:
            self.label_shift_pvalue_ = label_shift_test(proba_t, *self._holdout, self.label_shift_prior_)
            self.fallback_ = self.label_shift_pvalue_ is not None and self.label_shift_pvalue_ < self.alpha
        if self.fallback_:
            warnings.warn(
                f"{who}: the target rows are not a label shift of the source (goodness-of-fit "
                f"p-value {self.label_shift_pvalue_:.2g} < alpha={self.alpha}: p(x | y) moves too), so "
                f"the {self.method.upper()} prior {np.round(self.label_shift_prior_, 3).tolist()} is not "
                "trusted and the probabilities are not adjusted (the calibrated source model, right "
                "if p(y | x) does not move); target_prior_ is their mean. alpha=None always adjusts.",
                LabelShiftWarning,
                stacklevel=3,
            )
            self.target_prior_ = pcc_prior(proba_t, labelled_counts=target_counts)
            self.class_weights_ = np.ones(k)
        else:
            self.target_prior_ = self.label_shift_prior_
            self.class_weights_ = self.target_prior_ / self.reference_prior_
        if self.n_bootstrap > 0 and len(proba_t) > 1:
            rng = check_random_state(self.random_state)
            labelled_index = np.repeat(np.arange(k), target_counts.astype(int))
            draws = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", LabelShiftWarning)
                for _ in range(self.n_bootstrap):
                    rows = proba_t[rng.randint(0, len(proba_t), len(proba_t))]
                    counts = target_counts
                    if len(labelled_index):
                        counts = np.bincount(labelled_index[rng.randint(0, len(labelled_index), len(labelled_index))],
                                             minlength=k).astype(float)
                    draws.append(estimate(rows, counts, self.fallback_)[0])
            self.target_prior_interval_ = np.percentile(np.asarray(draws), [2.5, 97.5], axis=0)

    def refit_prior(self, X, y=None, sample_domain=None):
        """Re-estimate the target prior on new target rows, with the fitted classifier.

        The classifier and the calibration are kept; only ``target_prior_``
        and what follows from it change (with ``method`` as it is now, so
        ``set_params(method="bbse").refit_prior(X)`` switches estimators
        without refitting). For a new batch of target rows from the same
        source model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Target rows (every row is a target row unless ``sample_domain``
            says otherwise; source rows are ignored).
        y : array-like of shape (n_samples,), default=None
            Labels of labelled target rows, ``-1`` on unlabelled ones.
        sample_domain : array-like of int of shape (n_samples,), default=None

        Returns
        -------
        self : LabelShiftAdjustedClassifier
        """
        check_is_fitted(self)
        self._check_params()
        n_samples = num_rows(X)
        domains = predict_domains(sample_domain, n_samples=n_samples)
        k = len(self.classes_)
        if y is None:
            labelled = np.zeros(n_samples, dtype=bool)
        else:
            y = column_or_1d(y, warn=True)
            if len(y) != n_samples:
                raise ValueError(f"{type(self).__name__}: X has {n_samples} rows but y has {len(y)} labels.")
            labelled = ~unlabeled_mask(y, "classification")
        unlabelled_rows = np.flatnonzero((domains < 0) & ~labelled)
        counts = np.zeros(k)
        if labelled.any():
            labels = y[(domains < 0) & labelled]
            if not np.all(np.isin(labels, self.classes_)):
                raise ValueError(f"{type(self).__name__}: y holds classes the classifier does not know.")
            counts = np.bincount(np.searchsorted(self.classes_, labels), minlength=k).astype(float)
        proba_t = self._target_proba(_take_rows(X, unlabelled_rows))
        self._estimate_prior(proba_t, counts)
        return self

    def predict_proba(self, X, sample_domain=None):
        """Class probabilities adjusted to the target prior.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        sample_domain : array-like of int of shape (n_samples,), default=None
            Rows with a positive id (source rows) get the calibrated,
            unadjusted probabilities; by default every row is a target row.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        proba = self._calibrate(self.estimator_.predict_proba(X))
        adjusted = _reweight(proba, self.class_weights_)
        domains = predict_domains(sample_domain, n_samples=len(proba))
        return np.where((domains > 0)[:, None], proba, adjusted)

    def predict_log_proba(self, X, sample_domain=None):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X, sample_domain=sample_domain))

    def predict(self, X, sample_domain=None):
        """The most probable class under the target prior (the source prior for source rows)."""
        proba = self.predict_proba(X, sample_domain=sample_domain)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy on the labelled rows of ``X`` (masked rows are left out).

        On stacked data these are source rows, scored as target rows: use a
        labelled target sample to measure the target accuracy.
        """
        rows = np.flatnonzero(~unlabeled_mask(y, "classification"))
        if rows.size == 0:
            raise ValueError(f"{type(self).__name__}.score: no labelled rows to score on.")
        kwargs = {} if sample_weight is None else {"sample_weight": np.asarray(sample_weight)[rows]}
        return super().score(_take_rows(X, rows), np.asarray(y)[rows], **kwargs)

    @property
    def n_features_in_(self):
        """Number of features seen during ``fit``."""
        check_is_fitted(self)
        return self.estimator_.n_features_in_

    @property
    def feature_names_in_(self):
        """Names of the features seen during ``fit``."""
        check_is_fitted(self)
        return self.estimator_.feature_names_in_

    def __sklearn_is_fitted__(self):
        return hasattr(self, "class_weights_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self._resolve_estimator())
        tags.input_tags = deepcopy(inner.input_tags)
        tags.target_tags.required = True
        return tags
