"""The domain classifier: how well a model tells source rows from target rows."""

import numbers
from contextlib import nullcontext

import numpy as np
import scipy.sparse as sp

from .._validation import check_magnitude
from ._columns import _category_key, _domain_rows, _feature_names, _take
from ._streaming import check_max_rows, materialise, stratified_sample_rows, take_rows


def _row_groups(data):
    """The id of the distinct row of each row: identical rows share an id.

    Values are compared exactly (``-0.0`` is ``0.0``, every missing value is
    the same). Ids are numbered in the order of first appearance, so that
    the same rows get the same ids (and folds) as an array, a sparse matrix
    or a DataFrame.
    """
    ids = _distinct_row_ids(data)
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse.ravel()]


def _distinct_row_ids(data):
    n = data.shape[0]
    if hasattr(data, "iloc"):
        import pandas as pd  # only reached when X is a DataFrame

        frame = data.copy()
        for column in frame.columns:
            if frame[column].dtype.kind == "f":
                frame[column] = frame[column] + 0.0  # -0.0 + 0.0 is 0.0
        keys = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        return np.unique(keys, return_inverse=True)[1].ravel()
    if sp.issparse(data):
        csr = sp.csr_matrix(data, dtype=np.float64, copy=True)
        csr.sum_duplicates()
        csr.eliminate_zeros()
        csr.data[np.isnan(csr.data)] = np.nan
        ids, seen = np.empty(n, dtype=np.int64), {}
        for i in range(n):
            start, stop = csr.indptr[i], csr.indptr[i + 1]
            key = csr.indices[start:stop].tobytes() + csr.data[start:stop].tobytes()
            ids[i] = seen.setdefault(key, len(seen))
        return ids
    if data.dtype.kind in "biuf":
        if data.dtype.kind == "f":
            values = np.array(data, dtype=np.float64) + 0.0
            values[np.isnan(values)] = np.nan  # one bit pattern for every NaN
        else:
            values = np.ascontiguousarray(data)
        if values.shape[1] == 0 or values.dtype.itemsize == 0:  # pragma: no cover - refused before
            return np.zeros(n, dtype=np.int64)
        rows = np.ascontiguousarray(values).view(np.dtype((np.void, values.dtype.itemsize * values.shape[1])))
        return np.unique(rows[:, 0], return_inverse=True)[1].ravel()
    ids, seen = np.empty(n, dtype=np.int64), {}
    for i in range(n):
        key = tuple(_category_key(v) for v in data[i])
        ids[i] = seen.setdefault(key, len(seen))
    return ids


def _fill_evenly(counts, m):
    """How many of ``m`` more rows each fold gets so that the folds, holding
    ``counts`` rows already, end up as even as possible."""
    counts = counts.astype(np.int64)
    low, high = int(counts.min()), int(counts.max()) + m
    while low < high:  # the highest level the m rows can raise every fold to
        level = (low + high + 1) // 2
        if np.maximum(level - counts, 0).sum() <= m:
            low = level
        else:
            high = level - 1
    add = np.maximum(low - counts, 0)
    rest = m - int(add.sum())
    add[np.flatnonzero(counts + add == low)[:rest]] += 1
    return add


def _grouped_folds(domain, groups, n_folds, rng):
    """Fold of each row: every group (distinct row) in one fold, each domain
    spread evenly over the folds (a stratified group k-fold, in O(n))."""
    n_groups = int(groups.max()) + 1
    per_domain = np.stack([np.bincount(groups[domain == d], minlength=n_groups) for d in (0, 1)], axis=1)
    size = per_domain.sum(axis=1)
    totals = np.maximum(per_domain.sum(axis=0), 1)
    fold_of_group = np.empty(n_groups, dtype=np.int64)
    counts = np.zeros((n_folds, 2), dtype=np.int64)
    order = rng.permutation(n_groups)
    repeated = order[size[order] > 1]
    # repeated rows first, the largest first, each into the fold it fills least
    for g in repeated[np.argsort(-size[repeated], kind="stable")]:
        fold = int(np.argmin(((counts + per_domain[g]) / totals).max(axis=1)))
        fold_of_group[g] = fold
        counts[fold] += per_domain[g]
    for d in (0, 1):
        single = order[(size[order] == 1) & (per_domain[order, d] == 1)]
        add = _fill_evenly(counts[:, d], single.size)
        fold_of_group[single] = np.repeat(np.arange(n_folds), add)
        counts[:, d] += add
    return fold_of_group[groups]


def _domain_scores(model, X):
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(X))[:, 1]
    return np.asarray(model.decision_function(X)).ravel()


def _sparse_permutation_importance(model, X, domain, n_repeats, rng):
    """Mean drop of the AUC when each column's values are permuted over the
    rows, for a CSR ``X`` (sklearn's permutation_importance takes dense data)."""
    from sklearn.metrics import roc_auc_score

    csc = sp.csc_matrix(X)
    baseline = roc_auc_score(domain, _domain_scores(model, X))
    n_rows, n_features = csc.shape
    drops = np.zeros(n_features)
    for j in range(n_features):
        start, stop = csc.indptr[j], csc.indptr[j + 1]
        if start == stop:  # an empty column: permuting it changes nothing
            continue
        for _ in range(n_repeats):
            new_row = np.empty(n_rows, dtype=csc.indices.dtype)
            new_row[rng.permutation(n_rows)] = np.arange(n_rows)
            rows = new_row[csc.indices[start:stop]]
            order = np.argsort(rows)
            permuted = csc.copy()
            permuted.indices[start:stop] = rows[order]
            permuted.data[start:stop] = csc.data[start:stop][order]
            drops[j] += baseline - roc_auc_score(domain, _domain_scores(model, permuted.tocsr()))
    return drops / n_repeats


def domain_classifier_auc(X, y=None, sample_domain=None, *, estimator=None, cv=5, n_repeats=5,
                          feature_names=None, random_state=None, n_threads=1, max_rows=None):
    """How well a classifier tells target rows from source rows, and from which features.

    A classifier is trained to predict the domain (target = 1) of each row;
    its AUC, cross-validated over ``cv`` folds, measures the shift: about 0.5
    when the domains cannot be told apart, up to 1 when they are separate.
    The folds are stratified by domain and keep identical rows together: a
    row present in both domains (or twice in one) never has a copy on each
    side of a fold, where the classifier would learn the copy's domain and
    score the held-out one as the other (identical domains read about 0.02
    that way, instead of 0.5). Each feature's importance is the mean drop of
    the held-out AUC when that feature's values are permuted
    (:func:`sklearn.inspection.permutation_importance`, ``n_repeats`` times
    per fold), averaged over the folds: the features that drive the shift
    come first in ``ranking``.

    On large data, ``max_rows`` fits and scores the classifiers on a
    stratified sample instead: each domain keeps its share of the rows (at
    least ``cv`` rows each), and the sizes are in the result. The AUC of a
    sample is an unbiased estimate of the AUC of all rows, with a standard
    error of about ``0.5 / sqrt(min(n_source, n_target))`` at worst.

    Parameters
    ----------
    X : array-like, sparse matrix, DataFrame, or Dask array or DataFrame of shape (n_samples, n_features)
        Source and target rows, stacked. A Dask collection is computed:
        with ``max_rows``, only the sampled rows are (each partition that
        holds some is read, and only those rows kept).
    y : array-like of shape (n_samples,), default=None
        Labels, ``-1`` (or ``NaN``) on target rows; only used to find them
        when ``sample_domain`` is not given.
    sample_domain : array-like of int of shape (n_samples,), default=None
        Domain of each row: positive for source, negative for target.
    estimator : classifier, default=None
        Any sklearn classifier with ``predict_proba`` or
        ``decision_function``. ``None`` means
        ``HistGradientBoostingClassifier(max_iter=100)``, which takes
        non-linear shifts, missing values, pandas ``category`` columns and
        values of any magnitude; other non-numeric columns are then an error
        (encode them, or pass an estimator, e.g. a pipeline, that does). For
        a sparse ``X``, ``None`` means a logistic regression on max-abs
        scaled features. A given estimator gets values within the range of
        :func:`~sktransfer._validation.check_magnitude` (``1e-100`` to
        ``1e100``), or an error.
    cv : int, default=5
        Number of folds.
    n_repeats : int, default=5
        Permutations of each feature per fold.
    feature_names : list of str, default=None
        Names of the features (default: the DataFrame's columns, or
        ``x0, x1, ...``).
    random_state : int, RandomState instance or None, default=None
        Seeds the folds, the permutations and the default estimator: the same
        seed gives the same result.
    n_threads : int or None, default=1
        Threads of the native thread pools (OpenMP, BLAS) while the
        classifiers are fitted and scored. The fits are small and many (``cv``
        fits, ``cv * n_repeats * n_features`` predictions), and the gradient
        boosting's OpenMP threads wait on each other at every step: on a
        machine whose cores other processes hold, two threads took 3 to 13
        times as long as one. None leaves the pools as they are.
    max_rows : int or None, default=None
        Most rows to fit on: with more rows, a stratified random sample
        (seeded by ``random_state``; each ``sample_domain`` id keeps its share,
        and at least ``cv`` rows). None uses every row.

    Returns
    -------
    result : :class:`sklearn.utils.Bunch`
        With ``auc`` (mean over the folds), ``auc_std``, ``fold_aucs``,
        ``importances`` and ``importances_std`` (ndarray of shape
        (n_features,), the mean and standard deviation over folds of the
        AUC drop), ``feature_names``, ``ranking`` (feature names by
        decreasing importance), ``n_source`` and ``n_target`` (rows used),
        ``n_source_total`` and ``n_target_total`` (rows given) and
        ``sampled`` (whether ``max_rows`` sampled the rows).

    Raises
    ------
    ValueError
        If the domains cannot be found, if a domain has fewer than ``cv``
        rows, if ``X`` has fewer than ``cv`` distinct rows, or if ``X`` has
        infinite values or (for a given estimator) values out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.diagnostics import domain_classifier_auc
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3))
    >>> X[200:, 1] += 2.0  # the target rows are shifted along feature x1
    >>> sample_domain = np.r_[np.ones(200), -np.ones(200)].astype(int)
    >>> result = domain_classifier_auc(X, sample_domain=sample_domain, cv=3,
    ...                                estimator=LogisticRegression(), random_state=0)
    >>> bool(result.auc > 0.8), result.ranking[0]
    (True, 'x1')

    On a stratified sample of 100 of the 400 rows:

    >>> sampled = domain_classifier_auc(X, sample_domain=sample_domain, cv=3, max_rows=100,
    ...                                 estimator=LogisticRegression(), random_state=0)
    >>> sampled.n_source, sampled.n_target, sampled.n_source_total, bool(sampled.auc > 0.8)
    (50, 50, 200, True)
    """
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import roc_auc_score
    from sklearn.utils import Bunch, check_random_state

    who = "domain_classifier_auc"
    if not isinstance(cv, numbers.Integral) or isinstance(cv, bool) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2, got {cv!r}.")
    if not isinstance(n_repeats, numbers.Integral) or isinstance(n_repeats, bool) or n_repeats < 1:
        raise ValueError(f"n_repeats must be an integer >= 1, got {n_repeats!r}.")
    if n_threads is not None and (
        not isinstance(n_threads, numbers.Integral) or isinstance(n_threads, bool) or n_threads < 1
    ):
        raise ValueError(f"n_threads must be a positive integer or None, got {n_threads!r}.")
    if estimator is not None and not (hasattr(estimator, "fit") and (
        hasattr(estimator, "predict_proba") or hasattr(estimator, "decision_function")
    )):
        raise TypeError(
            f"{who}: estimator must be a classifier with fit and predict_proba or "
            f"decision_function, got {estimator!r}."
        )
    check_max_rows(max_rows)
    data, sd = _domain_rows(X, y, sample_domain, who)
    n_source_total, n_target_total = int(np.sum(sd > 0)), int(np.sum(sd < 0))
    rng = check_random_state(random_state)
    sampled = max_rows is not None and sd.size > max_rows
    if sampled:
        rows = stratified_sample_rows(sd, max_rows, rng.randint(2**31 - 1), min_per_domain=cv)
        data, sd = take_rows(data, rows), sd[rows]
        if hasattr(data, "iloc") and hasattr(X, "iloc"):
            data = data.reset_index(drop=True)
    else:
        data = materialise(data)
    domain = (sd < 0).astype(int)
    n_source, n_target = int(np.sum(domain == 0)), int(np.sum(domain == 1))
    if min(n_source, n_target) < cv:
        raise ValueError(
            f"{who}: each domain needs at least cv={cv} rows for stratified folds; "
            f"got {n_source} source and {n_target} target rows."
        )
    frame, sparse = hasattr(data, "iloc"), sp.issparse(data)
    if not frame and not sparse and data.dtype.kind == "O":
        try:  # an object array of numbers is numeric
            data = data.astype(np.float64)
        except (TypeError, ValueError):
            pass
    names = _feature_names(X, feature_names, data.shape[1])
    data = _check_classifier_data(data, who, default_estimator=estimator is None)
    if estimator is None:
        if sparse:
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import MaxAbsScaler

            estimator = make_pipeline(MaxAbsScaler(), LogisticRegression(max_iter=1000))
        else:
            estimator = HistGradientBoostingClassifier(max_iter=100, random_state=rng.randint(2**31 - 1))
    groups = _row_groups(data)
    n_distinct = int(groups.max()) + 1
    if n_distinct < cv:
        raise ValueError(
            f"{who}: X has {n_distinct} distinct row(s), fewer than cv={cv}: the folds keep "
            "identical rows together (a copy on each side would fake a difference), so "
            "lower cv or pass more varied rows."
        )
    fold_of_row = _grouped_folds(domain, groups, cv, rng)
    aucs, importances = [], []
    limits = nullcontext()
    if n_threads is not None:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(limits=n_threads)
    with limits:
        for k in range(cv):
            test, train = np.flatnonzero(fold_of_row == k), np.flatnonzero(fold_of_row != k)
            if np.unique(domain[test]).size < 2 or np.unique(domain[train]).size < 2:
                raise ValueError(
                    f"{who}: keeping identical rows in one fold left fold {k} with rows of "
                    f"one domain only ({n_distinct} distinct rows, {n_source} source and "
                    f"{n_target} target rows); lower cv."
                )
            model = clone(estimator).fit(_take(data, train), domain[train])
            aucs.append(roc_auc_score(domain[test], _domain_scores(model, _take(data, test))))
            seed = rng.randint(2**31 - 1)
            if sparse:
                importances.append(_sparse_permutation_importance(
                    model, _take(data, test), domain[test], n_repeats, check_random_state(seed)))
            else:
                importances.append(permutation_importance(
                    model, _take(data, test), domain[test], scoring="roc_auc", n_repeats=n_repeats,
                    random_state=seed,
                ).importances_mean)
    importances = np.asarray(importances)
    mean_importance = importances.mean(axis=0)
    order = np.argsort(-mean_importance, kind="stable")
    return Bunch(
        auc=float(np.mean(aucs)),
        auc_std=float(np.std(aucs)),
        fold_aucs=np.asarray(aucs),
        importances=mean_importance,
        importances_std=importances.std(axis=0),
        feature_names=names,
        ranking=[names[j] for j in order],
        n_source=n_source,
        n_target=n_target,
        n_source_total=n_source_total,
        n_target_total=n_target_total,
        sampled=bool(sampled),
    )


def _check_classifier_data(data, who, default_estimator):
    """Refuse infinite values, and for the default estimator non-numeric
    columns; fill columns missing on every row (no information, and the
    default estimator cannot bin them) with zeros; check the magnitude of
    the data a given estimator gets."""
    if hasattr(data, "iloc"):
        numeric = [c for c in data.columns if data[c].dtype.kind in "iufb"]
        if default_estimator:
            bad = [str(c) for c in data.columns if c not in numeric and str(data[c].dtype) != "category"]
            if bad:
                raise ValueError(
                    f"{who}: the default estimator (HistGradientBoostingClassifier) needs numeric "
                    f"or pandas 'category' columns; not so: {bad}. Encode them, or pass an "
                    "estimator (e.g. a pipeline with an encoder) that takes them."
                )
        values = data[numeric].to_numpy(dtype=np.float64) if numeric else np.zeros((len(data), 0))
        columns = list(numeric)
    elif sp.issparse(data):
        if data.dtype.kind not in "biuf":
            raise TypeError(f"{who}: a sparse X must hold numbers, got dtype {data.dtype}.")
        values, columns = data.data, None
    else:
        if data.dtype.kind not in "biuf":
            if default_estimator:
                raise ValueError(
                    f"{who}: the default estimator (HistGradientBoostingClassifier) needs numeric "
                    f"or pandas 'category' columns; not so: ['(the array has dtype {data.dtype})']. "
                    "Encode them, or pass an estimator (e.g. a pipeline with an encoder) that takes them."
                )
            return data
        values, columns = data, None
    values = np.asarray(values, dtype=np.float64)
    if np.isinf(values).any():
        raise ValueError(
            f"{who}: X has infinite values; replace them (e.g. with NaN, which the default "
            "estimator takes as missing) first."
        )
    if not default_estimator:
        check_magnitude(values, who=who, name="X")
        return data
    if values.ndim == 2 and values.shape[0] and values.shape[1]:
        all_missing = np.flatnonzero(np.isnan(values).all(axis=0))
        if all_missing.size:
            data = data.copy()
            if columns is None:
                data[:, all_missing] = 0.0
            else:
                for j in all_missing:
                    data[columns[j]] = 0.0
    return data
