"""The rows of a few-shot fit: labelled source rows and labelled target rows.

Parameter transfer learns from labelled target rows, which only
``sample_domain`` can mark (a masked label marks an *unlabelled* target row).
This module turns ``y`` and ``sample_domain`` into the two masks, once, with
the domain module's :func:`~sktransfer.derive_sample_domain`, and words the
messages every estimator of :mod:`sktransfer.parameter` shares.
"""

import warnings

import numpy as np
from sklearn.utils.validation import column_or_1d

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
