"""The domain convention shared by every sktransfer estimator.

Source and target rows are stacked in one ``X`` so that every sklearn tool that
splits, clones and pipes ``X, y`` keeps working:

- unlabelled target rows carry ``y = -1`` (classification) or ``y = NaN``
  (regression), the convention of sklearn's semi-supervised estimators; with
  nothing else given, labelled rows are source rows and masked rows are target
  rows;
- an optional per-row integer ``sample_domain`` says more: positive ids are
  source domains, negative ids are target domains, ``0`` is invalid (the signs
  skada uses). It serves labelled target rows (few-shot), several sources and
  evaluation;
- at ``predict``/``transform`` time, rows are target rows unless
  ``sample_domain`` says otherwise.

This module is the only place that turns ``y`` and ``sample_domain`` into
source and target rows; estimators call :func:`fit_domains` and
:func:`predict_domains` and never re-derive the domains their own way.
"""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp

SOURCE_ID = 1
TARGET_ID = -1
MASKED_LABEL = -1

__all__ = [
    "DomainWarning",
    "stack_domains",
    "unstack_domains",
    "unlabeled_mask",
    "check_sample_domain",
    "derive_sample_domain",
    "fit_domains",
    "predict_domains",
]


class DomainWarning(UserWarning):
    """Warning about the domains of a call, e.g. a fit that saw no target rows.

    Examples
    --------
    >>> import warnings
    >>> from sktransfer import DomainWarning, fit_domains
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = fit_domains([0, 1, 1], n_samples=3)  # no masked label: no target rows
    >>> [w.category.__name__ for w in caught]
    ['DomainWarning']
    """


def _as_1d(values, name):
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}.")
    return arr


def unlabeled_mask(y, task="auto"):
    """Boolean mask of the rows whose label is masked (unlabelled target rows).

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Labels, with ``-1`` (classification) or ``NaN`` (regression) on
        unlabelled rows. In an object array, ``None`` also marks a row. With
        several outputs, a row is unlabelled when all its outputs are masked.
    task : {"auto", "classification", "regression"}, default="auto"
        ``"regression"``: only ``NaN`` masks a row, ``-1`` is an ordinary value.
        ``"classification"``: ``-1`` and ``NaN`` mask a row. ``"auto"``: as for
        classification, except that in a float ``y`` holding any ``NaN`` only
        ``NaN`` masks (the regression convention is then in use).

    Returns
    -------
    mask : ndarray of bool of shape (n_samples,)

    Examples
    --------
    >>> from sktransfer import unlabeled_mask
    >>> unlabeled_mask([0, 1, -1, -1])
    array([False, False,  True,  True])
    >>> unlabeled_mask([0.5, -1.0, float("nan")])
    array([False, False,  True])
    """
    if task not in ("auto", "classification", "regression"):
        raise ValueError(
            f"task must be 'auto', 'classification' or 'regression', got {task!r}."
        )
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return np.all(
            np.column_stack([unlabeled_mask(column, task) for column in y.T]), axis=1
        )
    y = _as_1d(y, "y")
    if y.dtype.kind == "f":
        nan = np.isnan(y)
        if task == "regression" or (task == "auto" and nan.any()):
            return nan
        return nan | (y == MASKED_LABEL)
    if y.dtype.kind in "iub":
        if task == "regression":
            return np.zeros(y.shape, dtype=bool)
        return y == MASKED_LABEL
    if y.dtype.kind == "O":
        return np.fromiter(
            (
                v is None
                or (isinstance(v, numbers.Real) and (v != v or (task != "regression" and v == MASKED_LABEL)))
                for v in y
            ),
            dtype=bool,
            count=len(y),
        )
    # strings and other dtypes have no masked value: use sample_domain
    return np.zeros(y.shape, dtype=bool)


def check_sample_domain(sample_domain, n_samples):
    """Validate ``sample_domain``: integers, one per row, no zero.

    Parameters
    ----------
    sample_domain : array-like of shape (n_samples,)
        Positive ids are source domains, negative ids target domains.
    n_samples : int
        The number of rows it must describe.

    Returns
    -------
    sample_domain : ndarray of int of shape (n_samples,)

    Examples
    --------
    >>> from sktransfer import check_sample_domain
    >>> check_sample_domain([1, 1, -1], n_samples=3)
    array([ 1,  1, -1])
    """
    sd = _as_1d(sample_domain, "sample_domain")
    if sd.shape[0] != n_samples:
        raise ValueError(
            f"sample_domain has {sd.shape[0]} entries but X has {n_samples} rows; "
            "it needs one domain id per row."
        )
    if sd.dtype.kind == "f":
        if not np.all(np.isfinite(sd)) or np.any(sd != np.round(sd)):
            raise ValueError("sample_domain must hold integer domain ids, got non-integer values.")
    elif sd.dtype.kind not in "iu":
        raise ValueError(
            f"sample_domain must hold integer domain ids, got dtype {sd.dtype}."
        )
    sd = sd.astype(np.int64)
    if np.any(sd == 0):
        raise ValueError(
            f"sample_domain contains 0 in {int(np.sum(sd == 0))} row(s): 0 is not a "
            "domain id (positive ids are source domains, negative ids target domains)."
        )
    return sd


def derive_sample_domain(y=None, sample_domain=None, *, n_samples, task="auto"):
    """The domain id of each row, without any check on which domains are present.

    With ``sample_domain``, it is validated and returned. Without it, labelled
    rows are source (id 1) and masked rows are target (id -1). With neither
    ``y`` nor ``sample_domain`` every row is source.

    Examples
    --------
    >>> from sktransfer import derive_sample_domain
    >>> derive_sample_domain([0, 1, -1], n_samples=3)
    array([ 1,  1, -1])
    """
    if y is not None and num_rows(y) != n_samples:
        raise ValueError(f"y has {num_rows(y)} entries but X has {n_samples} rows.")
    if sample_domain is not None:
        sd = check_sample_domain(sample_domain, n_samples)
        if y is not None:
            check_masked_labels(y, sd, task=task)
        return sd
    if y is not None:
        check_masked_labels(y, None, task=task)
        return np.where(unlabeled_mask(y, task), TARGET_ID, SOURCE_ID)
    return np.full(n_samples, SOURCE_ID, dtype=np.int64)


def _is_minus_one(y):
    """Where ``y`` holds the value -1 (any numeric type, object arrays too)."""
    y = np.asarray(y)
    if y.dtype.kind in "iuf":
        return y == MASKED_LABEL
    if y.dtype.kind == "O":
        return np.fromiter(
            (isinstance(v, numbers.Real) and not isinstance(v, bool) and v == MASKED_LABEL for v in y),
            dtype=bool, count=len(y),
        )
    return np.zeros(y.shape, dtype=bool)


def check_masked_labels(y, sample_domain=None, *, task="auto", estimator=None):
    """Refuse, or warn about, a label ``-1`` that would be read as the mask by mistake.

    ``-1`` masks unlabelled target rows, so a class that is really labelled
    ``-1`` would vanish from the fit. This is never silent:

    - where ``sample_domain`` marks a row as source, a ``-1`` label is an
      error (the row says it is source, its label says it is unlabelled);
    - without ``sample_domain``, labels that are exactly ``{-1, 1}`` (the
      usual coding of a binary outcome) warn that the ``-1`` rows are taken
      as unlabelled target rows.

    Regression labels (``task="regression"``, or a float ``y`` holding NaN)
    are not concerned: there only NaN masks.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Labels.
    sample_domain : ndarray of int of shape (n_samples,), default=None
        Validated domain ids, if given.
    task : {"auto", "classification", "regression"}, default="auto"
        How ``y`` marks unlabelled rows, see :func:`unlabeled_mask`.
    estimator : str, default=None
        Name used in messages.

    Raises
    ------
    ValueError
        If a row that ``sample_domain`` marks as source has the label -1.

    Warns
    -----
    DomainWarning
        If, without ``sample_domain``, the labels are exactly {-1, 1}.

    Examples
    --------
    >>> from sktransfer._domain import check_masked_labels
    >>> check_masked_labels([0, 1, -1], [1, 1, -1])  # -1 on a target row: the mask
    >>> check_masked_labels([0, 1, -1], [1, 1, 1])
    Traceback (most recent call last):
    ...
    ValueError: 1 row(s) that sample_domain marks as source (positive id) have the label -1, ...
    """
    y = np.asarray(y)
    if y.ndim != 1 and not (y.ndim == 2 and y.shape[1] == 1):
        return
    y = y.ravel()
    masked = unlabeled_mask(y, task) & _is_minus_one(y)
    if not masked.any():
        return
    who = f"{estimator}: " if estimator else ""
    if sample_domain is not None:
        wrong = masked & (np.asarray(sample_domain) > 0)
        if wrong.any():
            raise ValueError(
                f"{who}{int(wrong.sum())} row(s) that sample_domain marks as source (positive id) "
                "have the label -1, which is the mask of unlabelled target rows: that class would "
                "be dropped from the fit. If -1 is a class, relabel it (e.g. "
                "y = np.where(y == -1, 2, y), or string labels); if these rows are unlabelled "
                "target rows, give them a negative sample_domain."
            )
        return
    labelled = y[~masked]
    values = set(np.unique(labelled.astype(float) if y.dtype.kind in "iuf" else labelled).tolist()) \
        if labelled.size else set()
    if values == {1} or values == {1.0}:
        warnings.warn(
            f"{who}y holds only the labels -1 and 1: -1 is the mask of unlabelled target rows, so "
            f"the {int(masked.sum())} rows labelled -1 are taken as unlabelled target rows and "
            "the source has a single class. If -1 is a class, relabel it (e.g. "
            "y = (y > 0).astype(int)) and mask the target rows, or pass sample_domain.",
            DomainWarning,
            stacklevel=3,
        )


def fit_domains(y=None, sample_domain=None, *, n_samples, task="auto",
                allow_target_labels=True, estimator=None, warn_no_target=True):
    """The domain of each row of a ``fit`` call, checked for a fit.

    The ids come from :func:`derive_sample_domain`; this function adds the
    checks that every adapting ``fit`` needs.

    Parameters
    ----------
    y : array-like of shape (n_samples,), default=None
        Labels, masked with ``-1`` or ``NaN`` on unlabelled target rows.
    sample_domain : array-like of shape (n_samples,), default=None
        Domain ids; positive for source, negative for target.
    n_samples : int
        Number of rows of ``X``.
    task : {"auto", "classification", "regression"}, default="auto"
        How ``y`` marks unlabelled rows, see :func:`unlabeled_mask`.
    allow_target_labels : bool, default=True
        If False, labels on rows that ``sample_domain`` marks as target are an
        error (they would leak into an unsupervised adaptation).
    estimator : str, default=None
        Name used in messages.
    warn_no_target : bool, default=True
        Warn when there are no target rows. A step that does not adapt
        (:class:`~sktransfer.LabeledOnly`) turns it off, so that a pipeline
        warns once, from the step that adapts.

    Returns
    -------
    sample_domain : ndarray of int of shape (n_samples,)

    Raises
    ------
    ValueError
        If a source row has the label -1 (see :func:`check_masked_labels`),
        if there are no source rows, if ``sample_domain`` is malformed, if
        ``y`` has the wrong length, or if target rows carry labels while
        ``allow_target_labels`` is False.

    Warns
    -----
    DomainWarning
        If there are no target rows: the adaptation then has nothing to align
        to, and estimators treat the source as its own target (the documented
        fallback, which also lets sklearn's estimator checks run).

    Examples
    --------
    >>> from sktransfer import fit_domains
    >>> fit_domains([0, 1, -1], n_samples=3)
    array([ 1,  1, -1])
    """
    who = f"{estimator}: " if estimator else ""
    try:
        sd = derive_sample_domain(y, sample_domain, n_samples=n_samples, task=task)
    except ValueError as exc:
        raise ValueError(f"{who}{exc}") from None
    if sample_domain is not None and y is not None and not allow_target_labels:
        labelled_target = (sd < 0) & ~unlabeled_mask(y, task)
        if labelled_target.any():
            raise ValueError(
                f"{who}{int(labelled_target.sum())} row(s) marked as target by "
                "sample_domain carry labels. Mask them (y = -1, or NaN for "
                "regression) for unsupervised adaptation, or allow target labels "
                "(few-shot) explicitly with use_target_labels=True."
            )
    if not np.any(sd > 0):
        raise ValueError(
            f"{who}no source rows: every row is marked as target (masked label or "
            "negative sample_domain). Give the source rows their labels, or "
            "positive sample_domain ids."
        )
    if warn_no_target and not np.any(sd < 0):
        warnings.warn(
            f"{who}fit saw no target rows (no label is masked with -1/NaN and "
            "sample_domain has no negative id), so there is nothing to adapt to and "
            "the source is used as its own target. Mask the target labels or pass "
            "sample_domain.",
            DomainWarning,
            stacklevel=3,
        )
    return sd


def predict_domains(sample_domain=None, *, n_samples):
    """The domain of each row of a ``predict``/``transform`` call: target by default.

    Examples
    --------
    >>> from sktransfer import predict_domains
    >>> predict_domains(n_samples=2)
    array([-1, -1])
    """
    if sample_domain is None:
        return np.full(n_samples, TARGET_ID, dtype=np.int64)
    return check_sample_domain(sample_domain, n_samples)


def num_rows(X):
    """Number of rows of an array-like, a DataFrame or a sparse matrix."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    if hasattr(X, "__len__"):
        return len(X)
    return np.asarray(X).shape[0]


def _n_features(X, name):
    shape = getattr(X, "shape", None)
    if shape is None:
        shape = np.shape(X)
    if len(shape) != 2:
        raise ValueError(f"{name} must be 2-dimensional (rows x features), got shape {tuple(shape)}.")
    return shape[0], shape[1]


def _stack_frames(parts):
    """Stack DataFrames whose columns must agree; categories are unioned."""
    import pandas as pd  # only reached when the user already passes pandas objects

    reference = list(parts[0].columns)
    for k, part in enumerate(parts[1:], start=1):
        columns = list(part.columns)
        if set(columns) != set(reference):
            name = "the target" if k == len(parts) - 1 else f"source domain {k + 1}"
            missing_here = [c for c in reference if c not in set(columns)]
            missing_first = [c for c in columns if c not in set(reference)]
            raise ValueError(
                f"The DataFrames have different columns: {name} lacks {missing_here} and the "
                f"first source lacks {missing_first}. Both domains need the same columns "
                "(stacking would fill the missing ones with NaN)."
            )
    parts = [part[reference] for part in parts]
    for column in reference:
        dtypes = [part[column].dtype for part in parts]
        if any(isinstance(d, pd.CategoricalDtype) for d in dtypes):
            categories = pd.api.types.union_categoricals(
                [pd.Categorical(part[column]) for part in parts], ignore_order=True
            ).categories
            parts = [
                part.assign(**{column: pd.Categorical(part[column], categories=categories)})
                for part in parts
            ]
    return pd.concat(parts, axis=0, ignore_index=True)


def _stack_rows(parts):
    if all(hasattr(p, "iloc") for p in parts):
        return _stack_frames(parts)
    if any(sp.issparse(p) for p in parts):
        return sp.vstack([sp.csr_matrix(p) if not sp.issparse(p) else p for p in parts], format="csr")
    return np.concatenate([np.asarray(p) for p in parts], axis=0)


def stack_domains(Xs, ys, Xt, yt=None, *, mask_target=True):
    """Stack source and target data into ``X, y, sample_domain``.

    Parameters
    ----------
    Xs : array-like of shape (n_source, n_features), or a list of them
        Source rows; a list gives several source domains (ids 1, 2, ...).
    ys : array-like of shape (n_source,), or a list of them
        Source labels (one array per source domain when ``Xs`` is a list).
    Xt : array-like of shape (n_target, n_features)
        Target rows (id -1).
    yt : array-like of shape (n_target,), default=None
        Target labels, if known. They are masked unless ``mask_target=False``.
    mask_target : bool, default=True
        Replace target labels with the mask (``-1``, or ``NaN`` for float
        labels). Set to False to keep ``yt`` (few-shot adaptation, or
        evaluation with :func:`unstack_domains`).

    Returns
    -------
    X : ndarray or DataFrame of shape (n_source + n_target, n_features)
    y : ndarray of shape (n_source + n_target,)
    sample_domain : ndarray of int of shape (n_source + n_target,)

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> X, y, sample_domain = stack_domains(np.zeros((2, 3)), [0, 1], np.ones((1, 3)))
    >>> y, sample_domain
    (array([ 0,  1, -1]), array([ 1,  1, -1]))
    """
    if isinstance(Xs, (list, tuple)):
        if not isinstance(ys, (list, tuple)) or len(ys) != len(Xs):
            raise ValueError("When Xs is a list of source domains, ys must be a list of the same length.")
        sources = list(zip(Xs, ys))
    else:
        sources = [(Xs, ys)]
    if len(sources) == 0:
        raise ValueError("No source domain given: Xs is an empty list.")

    n_target, n_features = _n_features(Xt, "Xt")
    if n_target == 0:
        raise ValueError("No target rows: Xt has 0 rows.")
    X_parts, y_parts, sd_parts = [], [], []
    for k, (Xk, yk) in enumerate(sources, start=1):
        n_k, d_k = _n_features(Xk, "Xs")
        if n_k == 0:
            raise ValueError(f"No source rows: source domain {k} has 0 rows.")
        if d_k != n_features:
            raise ValueError(
                f"Source domain {k} has {d_k} features but the target has {n_features}; "
                "both domains need the same features."
            )
        yk = _as_1d(yk, "ys")
        if yk.shape[0] != n_k:
            raise ValueError(f"Source domain {k} has {n_k} rows but {yk.shape[0]} labels.")
        X_parts.append(Xk)
        y_parts.append(yk)
        sd_parts.append(np.full(n_k, k, dtype=np.int64))

    y_source = np.concatenate(y_parts)
    if yt is None or mask_target:
        masked = np.nan if y_source.dtype.kind == "f" else MASKED_LABEL
        if y_source.dtype.kind in "ub":  # unsigned or boolean labels cannot hold -1
            y_source = y_source.astype(np.int64)
        elif y_source.dtype.kind not in "fi":
            y_source = y_source.astype(object)
            masked = MASKED_LABEL
        y_target = np.full(n_target, masked, dtype=y_source.dtype)
    else:
        y_target = _as_1d(yt, "yt")
        if y_target.shape[0] != n_target:
            raise ValueError(f"The target has {n_target} rows but {y_target.shape[0]} labels.")
    X = _stack_rows(X_parts + [Xt])
    y = np.concatenate([y_source, y_target])
    sample_domain = np.concatenate(sd_parts + [np.full(n_target, TARGET_ID, dtype=np.int64)])
    return X, y, sample_domain


def unstack_domains(X, y=None, sample_domain=None, *, task="auto"):
    """Split stacked data back into source and target parts (the inverse of
    :func:`stack_domains`).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), default=None
    sample_domain : array-like of shape (n_samples,), default=None
        Without it, the domains are read from the masked labels of ``y``.
    task : {"auto", "classification", "regression"}, default="auto"
        How ``y`` marks unlabelled rows, see :func:`unlabeled_mask`.

    Returns
    -------
    Xs, ys, Xt, yt
        Source rows and labels, target rows and labels (``None`` when ``y`` is
        None). Rows keep their order; several source domains are returned
        together (use ``sample_domain`` to tell them apart).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains, unstack_domains
    >>> X, y, sd = stack_domains(np.zeros((2, 3)), [0, 1], np.ones((1, 3)))
    >>> Xs, ys, Xt, yt = unstack_domains(X, y, sd)
    >>> Xs.shape, ys, Xt.shape, yt
    ((2, 3), array([0, 1]), (1, 3), array([-1]))
    """
    n_samples, _ = _n_features(X, "X")
    if sample_domain is None and y is None:
        raise ValueError("unstack_domains needs y (with masked target labels) or sample_domain.")
    if y is not None:
        y = _as_1d(y, "y")
    sd = derive_sample_domain(y, sample_domain, n_samples=n_samples, task=task)
    source, target = sd > 0, sd < 0
    if not source.any():
        raise ValueError("No source rows: every row is marked as target.")
    if not target.any():
        raise ValueError("No target rows: no row is masked or has a negative sample_domain.")
    if hasattr(X, "iloc"):
        def take(A, m):
            return A.iloc[np.flatnonzero(m)]
    elif sp.issparse(X):
        def take(A, m):
            return A.tocsr()[np.flatnonzero(m)]
    else:
        def take(A, m):
            return np.asarray(A)[m]
    y_arr = None if y is None else _as_1d(y, "y")
    return (
        take(X, source),
        None if y_arr is None else y_arr[source],
        take(X, target),
        None if y_arr is None else y_arr[target],
    )
