"""The rows of a few-shot fit: labelled source rows and labelled target rows.

Parameter transfer learns from labelled target rows, which only
``sample_domain`` can mark (a masked label marks an *unlabelled* target row).
This module turns ``y`` and ``sample_domain`` into the two masks, once, with
the domain module's :func:`~sktransfer.derive_sample_domain`, and words the
messages every estimator of :mod:`sktransfer.parameter` shares.

It also holds the one rule by which the package chooses, from a few labelled
target rows, how far to move away from the source model
(:func:`target_folds` and :func:`choose_safest`): ``RegularizedTransfer``'s
``lam="auto"``, the number of rounds of ``ContinuedBoosting`` and the
strategy of ``FewShotTransfer`` all use it.
"""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._domain import DomainWarning, derive_sample_domain, unlabeled_mask

NO_TARGET_LABELS = (
    "{who}: fit saw no labelled target rows. Labelled target rows (the few "
    "shots) are the rows with a label and a negative sample_domain; without "
    "sample_domain every labelled row is a source row. {fallback} Pass "
    "sample_domain (e.g. from sktransfer.stack_domains(..., yt=yt, "
    "mask_target=False)) to transfer to the target."
)


def few_shot_rows(y, sample_domain, *, n_samples, task, estimator):
    """Masks of the labelled source rows and the labelled target rows.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels; ``-1`` (classification) or ``NaN`` mark unlabelled rows.
    sample_domain : array-like of shape (n_samples,) or None
        Domain ids; negative ids mark target rows.
    n_samples : int
    task : {"classification", "regression"}
    estimator : str
        Name used in messages.

    Returns
    -------
    y : ndarray of shape (n_samples,)
    source : ndarray of bool of shape (n_samples,)
        Labelled rows with a positive domain id.
    target : ndarray of bool of shape (n_samples,)
        Labelled rows with a negative domain id.
    """
    if y is None:
        raise ValueError(
            f"{estimator} requires y to be passed, but the target y is None: it "
            "learns from labelled rows."
        )
    # a column vector is raveled with sklearn's DataConversionWarning
    y = column_or_1d(y, warn=True)
    try:
        domains = derive_sample_domain(y, sample_domain, n_samples=n_samples, task=task)
    except ValueError as exc:
        raise ValueError(f"{estimator}: {exc}") from None
    labelled = ~unlabeled_mask(y, task)
    if not labelled.any():
        raise ValueError(
            f"{estimator}: no labelled rows: every label is masked (-1 or NaN)."
        )
    return y, labelled & (domains > 0), labelled & (domains < 0)


def warn_no_target(estimator, fallback):
    """The shared DomainWarning of a fit without labelled target rows."""
    warnings.warn(
        NO_TARGET_LABELS.format(who=estimator, fallback=fallback),
        DomainWarning,
        stacklevel=3,
    )


def check_finite_labels(y, estimator):
    """Raise if a regression label (not a NaN mask) is infinite."""
    if np.isinf(y).any():
        raise ValueError(f"{estimator}: Input y contains infinity.")


def check_cv_params(cv, cv_repeats, who):
    """Raise a ValueError naming the problem if ``cv`` or ``cv_repeats`` is not usable."""
    if not isinstance(cv, Integral) or isinstance(cv, bool) or cv < 2:
        raise ValueError(f"{who}: cv must be an integer of at least 2, got {cv!r}.")
    if not isinstance(cv_repeats, Integral) or isinstance(cv_repeats, bool) or cv_repeats < 1:
        raise ValueError(f"{who}: cv_repeats must be an integer of at least 1, got {cv_repeats!r}.")


def target_folds(y_target, *, cv, cv_repeats, stratify, random_state):
    """The ``(train, valid)`` index pairs of ``cv_repeats`` shuffled ``cv``-fold
    splits of the labelled target rows, or None when there are too few rows
    (fewer than 2, or a class with a single row when ``stratify``)."""
    n_folds = min(cv, len(y_target))
    if stratify:
        n_folds = min(n_folds, int(np.unique(y_target, return_counts=True)[1].min()))
    if n_folds < 2:
        return None
    splitter = (RepeatedStratifiedKFold if stratify else RepeatedKFold)(
        n_splits=n_folds, n_repeats=cv_repeats, random_state=random_state
    )
    return list(splitter.split(np.zeros((len(y_target), 1)), y_target if stratify else None))


def choose_safest(fold_losses, order):
    """The safest candidate whose mean loss is within half a standard error of the best.

    A few target rows give a noisy loss: a candidate that only looks better
    by chance would trade the source model for noise. Hence a tolerance
    toward the safe end, as in the one-standard-error rule (Hastie et al.,
    ESL 7.10), at half a standard error (the standard error of the fold
    losses of the best candidate).

    Parameters
    ----------
    fold_losses : dict
        Candidate -> sequence of its losses on the same folds.
    order : sequence
        The candidates, from the safest (closest to the source model) to the
        least safe. Ties go to the safer one.

    Returns
    -------
    chosen : object
        The chosen candidate.
    mean_losses : dict
        Candidate -> mean loss over the folds.
    tolerance : float
        Half the standard error of the best candidate's fold losses.
    """
    means = {key: float(np.mean(fold_losses[key])) for key in order}
    best = min(order, key=means.get)
    losses = np.asarray(fold_losses[best], dtype=float)
    tolerance = 0.5 * float(np.std(losses, ddof=1)) / np.sqrt(len(losses)) if len(losses) > 1 else 0.0
    chosen = next(key for key in order if means[key] <= means[best] + tolerance)
    return chosen, means, tolerance


def is_fitted(estimator):
    """Whether ``estimator`` is fitted (sklearn's ``check_is_fitted``)."""
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def fit_source_model(template, X, y, source, who, *, weights=None, what="an estimator"):
    """The fitted source model: ``template`` itself if fitted, else a clone fitted
    on the labelled source rows (with ``weights`` on them when some differ from 1)."""
    if not hasattr(template, "fit"):
        raise TypeError(
            f"{who}: the source estimator must be {what} with a fit method (fitted or "
            f"not); got {type(template).__name__}."
        )
    if is_fitted(template):
        return template
    if not source.any():
        raise ValueError(
            f"{who}: the source estimator is not fitted and there are no labelled source "
            "rows (positive sample_domain) to fit it on. Pass a fitted source "
            "estimator, or the labelled source rows."
        )
    model = clone(template)
    if weights is None or np.all(weights[source] == 1):
        return model.fit(X[source], y[source])
    return model.fit(X[source], y[source], sample_weight=weights[source])
