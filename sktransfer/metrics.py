"""Metrics: the maximum mean discrepancy and its permutation test, and the
credit-scoring metrics (Gini, KS) with scorers that skip unlabelled rows.

Only numpy is imported with this module; scikit-learn's kernels are imported
when a function runs.
"""

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np

__all__ = [
    "LabeledRowsScorer",
    "MMDTestResult",
    "gini_score",
    "gini_scorer",
    "ks_score",
    "ks_scorer",
    "mmd",
    "mmd_test",
    "roc_auc_scorer",
]

_KERNELS = ("rbf", "linear", "poly")
_CHUNK_ENTRIES = 2**22  # kernel entries held at once by mmd (32 MiB in float64)
_PERMUTATION_BATCH_BYTES = 64 * 2**20  # permutations evaluated together by mmd_test
_BANDWIDTH_SEED = 0  # rows of the median heuristic: fixed, so that mmd is deterministic


class MMDTestResult(NamedTuple):
    """Result of :func:`mmd_test`.

    Attributes
    ----------
    statistic : float
        The squared MMD of the two samples (as :func:`mmd` computes it, on the
        rows the test used).
    pvalue : float
        Permutation p-value of the hypothesis that both samples come from the
        same distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import mmd_test
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(50, 2)), rng.normal(2.0, 1.0, size=(50, 2))
    >>> result = mmd_test(X, Y, random_state=0)
    >>> result._fields, bool(result.statistic > 0), bool(result.pvalue < 0.05)
    (('statistic', 'pvalue'), True, True)
    """

    statistic: float
    pvalue: float


def _check_samples(X, Y, min_rows, who="mmd"):
    import scipy.sparse as sp
    from sklearn.utils import check_array

    from ._validation import check_magnitude

    arrays = []
    for name, A in (("X", X), ("Y", Y)):
        if not sp.issparse(A) and not hasattr(A, "iloc"):
            A = np.asarray(A)
        if getattr(A, "ndim", 2) == 0:
            raise ValueError(f"{name} must be a sample (rows x features, or 1-D for one feature), got {A!r}.")
        if getattr(A, "ndim", 2) == 1:
            A = np.asarray(A).reshape(-1, 1)  # a 1-D sample: one feature
        if getattr(A, "ndim", 2) == 2 and A.shape[0] == 0:
            raise ValueError(f"{name} is empty: the MMD needs at least {min_rows} row(s) in each sample.")
        if getattr(A, "ndim", 2) == 2 and A.shape[1] == 0:
            raise ValueError(f"{name} has 0 features (shape {A.shape}): the MMD needs at least one column.")
        _check_numbers(A, name)
        A = check_array(A, dtype=np.float64, input_name=name, ensure_min_samples=1, accept_sparse="csr")
        check_magnitude(A, who=who, name=name)
        if A.shape[0] < min_rows:
            raise ValueError(
                f"{name} has {A.shape[0]} row(s); the unbiased MMD needs at least 2 "
                "rows in each sample (use unbiased=False for fewer)."
            )
        arrays.append(A)
    X, Y = arrays
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features but Y has {Y.shape[1]}; both samples need the same features."
        )
    return X, Y


def _check_numbers(A, name):
    """A TypeError naming the columns of ``A`` that are not numbers (strings,
    categories), instead of numpy's "could not convert string to float"."""
    if hasattr(A, "iloc") and hasattr(A, "columns"):
        bad = [str(c) for c in A.columns if A[c].dtype.kind not in "iufb"]
    elif getattr(A, "dtype", np.dtype(float)).kind in "iufb":
        return
    else:
        try:
            np.asarray(A).astype(np.float64)
            return
        except (TypeError, ValueError):
            bad = [f"(dtype {A.dtype})"]
    if bad:
        raise TypeError(
            f"The MMD needs numeric features; {name} has values that are not numbers: {bad}. "
            "Encode them (e.g. one-hot) first."
        )


def _check_kernel_params(kernel, gamma, degree, coef0):
    if kernel not in _KERNELS:
        raise ValueError(f"kernel must be one of {_KERNELS}, got {kernel!r}.")
    if gamma is not None and (isinstance(gamma, bool) or not isinstance(gamma, Real) or not gamma > 0):
        raise ValueError(f"gamma must be a positive number or None, got {gamma!r}.")
    if isinstance(degree, bool) or not isinstance(degree, Integral) or degree < 1:
        raise ValueError(f"degree must be a positive integer, got {degree!r}.")
    if isinstance(coef0, bool) or not isinstance(coef0, Real) or not np.isfinite(coef0):
        raise ValueError(f"coef0 must be a finite number, got {coef0!r}.")


def _check_max_samples(max_samples):
    if max_samples is not None and (
        isinstance(max_samples, bool) or not isinstance(max_samples, Integral) or max_samples < 4
    ):
        raise ValueError(f"max_samples must be an integer >= 4 or None, got {max_samples!r}.")


def _kernel_params(kernel, gamma, degree, coef0, X, Y):
    """The keyword arguments of ``kernel_matrix``, with the median heuristic
    on the pooled sample when ``gamma`` is None."""
    from ._kernels import median_heuristic_gamma

    if kernel == "linear":
        return {}
    if gamma is None:
        gamma = _median_gamma(_vstack(X, Y)) if _is_sparse(X) else median_heuristic_gamma(
            np.vstack([X, Y]), random_state=_BANDWIDTH_SEED)
    params = {"gamma": float(gamma)}
    if kernel == "poly":
        params.update(degree=degree, coef0=coef0)
    return params


def _is_sparse(X):
    import scipy.sparse as sp

    return sp.issparse(X)


def _vstack(X, Y):
    import scipy.sparse as sp

    return sp.vstack([X, Y], format="csr") if sp.issparse(X) else np.vstack([X, Y])


def _median_gamma(pooled):
    """``median_heuristic_gamma`` for a sparse pooled sample: the same rows
    and the same rule, without densifying it."""
    from sklearn.metrics.pairwise import euclidean_distances
    from sklearn.utils import check_random_state

    from ._kernels import _MEDIAN_SUBSAMPLE

    if pooled.shape[0] > _MEDIAN_SUBSAMPLE:
        rows = check_random_state(_BANDWIDTH_SEED).choice(pooled.shape[0], _MEDIAN_SUBSAMPLE, replace=False)
        pooled = pooled[rows]
    sq = euclidean_distances(pooled, squared=True)[np.triu_indices(pooled.shape[0], k=1)]
    sq = sq[sq > 0]
    return 1.0 if sq.size == 0 else 1.0 / (2.0 * float(np.median(sq)))


def _subsample(X, Y, max_samples, random_state):
    """At most ``max_samples`` pooled rows, drawn without replacement from
    each sample in proportion to its size (at least 2 from each)."""
    n_x, n_y = X.shape[0], Y.shape[0]
    if max_samples is None or n_x + n_y <= max_samples:
        return X, Y
    from sklearn.utils import check_random_state

    rng = check_random_state(random_state)
    keep_x = min(n_x, max(2, int(round(max_samples * n_x / (n_x + n_y)))))
    keep_y = min(n_y, max(2, max_samples - keep_x))
    return (
        X[np.sort(rng.choice(n_x, keep_x, replace=False))],
        Y[np.sort(rng.choice(n_y, keep_y, replace=False))],
    )


def _block_sums(A, C, kernel, params, same):
    """``sum(k(A, C))`` and, if ``same`` (``A is C``), the sum of its diagonal,
    holding at most a chunk of the kernel matrix."""
    from ._kernels import kernel_matrix

    total, diagonal = 0.0, 0.0
    step = max(1, _CHUNK_ENTRIES // max(C.shape[0], 1))
    for start in range(0, A.shape[0], step):
        block = kernel_matrix(A[start:start + step], C, kernel, **params)
        total += float(block.sum())
        if same:
            rows = np.arange(block.shape[0])
            diagonal += float(block[rows, start + rows].sum())
    return total, diagonal


def _statistic(sum_xx, trace_x, sum_yy, trace_y, sum_xy, n_x, n_y, unbiased):
    if unbiased:
        return (
            (sum_xx - trace_x) / (n_x * (n_x - 1))
            + (sum_yy - trace_y) / (n_y * (n_y - 1))
            - 2.0 * sum_xy / (n_x * n_y)
        )
    return sum_xx / n_x**2 + sum_yy / n_y**2 - 2.0 * sum_xy / (n_x * n_y)


def mmd(X, Y, *, kernel="rbf", gamma=None, degree=3, coef0=1.0, unbiased=True,
        max_samples=None, random_state=None):
    """Squared maximum mean discrepancy between two samples.

    The squared distance between the means of the two samples in the feature
    space of a kernel ``k``:

    ``MMD^2 = E k(x, x') + E k(y, y') - 2 E k(x, y)``.

    The unbiased estimate (a U-statistic, Gretton et al. 2012, eq. 3) leaves
    out the terms ``k(x_i, x_i)``; it is centred on the population value, so
    that it can be slightly negative when both samples come from the same
    distribution. The biased estimate (a V-statistic) keeps them and is never
    negative.

    Parameters
    ----------
    X : array-like of shape (n_samples_X, n_features) or (n_samples_X,)
        First sample; a 1-D array is a sample of one feature.
    Y : array-like of shape (n_samples_Y, n_features) or (n_samples_Y,)
        Second sample, with the same features.
    kernel : {"rbf", "linear", "poly"}, default="rbf"
        The kernel. With ``"linear"`` the MMD is the squared distance between
        the two mean vectors.
    gamma : float, default=None
        Coefficient of the ``"rbf"`` and ``"poly"`` kernels. None: the median
        heuristic on the pooled sample, ``1 / (2 median(d)^2)`` over the
        pairwise distances ``d`` between (at most 1000 rows, drawn with a
        fixed seed, of) the rows of ``X`` and ``Y`` together.
    degree : int, default=3
        Degree of the ``"poly"`` kernel.
    coef0 : float, default=1.0
        Constant term of the ``"poly"`` kernel.
    unbiased : bool, default=True
        The unbiased U-statistic (needs 2 rows in each sample), or the biased
        V-statistic.
    max_samples : int, default=None
        The estimate costs ``O((n_X + n_Y)^2)`` kernel evaluations (memory
        stays bounded: the kernel matrix is computed in chunks). With more
        pooled rows than ``max_samples``, it is computed on a random subsample
        of that many rows, drawn from each sample in proportion to its size.
        None uses every row.
    random_state : int, RandomState instance or None, default=None
        Draws the subsample when ``max_samples`` is exceeded.

    Returns
    -------
    mmd2 : float
        The squared MMD estimate.

    See Also
    --------
    mmd_test : Permutation test of equal distributions with this statistic.

    References
    ----------
    .. [1] A. Gretton, K. M. Borgwardt, M. J. Rasch, B. Schoelkopf and
       A. Smola, "A Kernel Two-Sample Test", JMLR 13, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import mmd
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> bool(abs(mmd(X, rng.normal(size=(200, 2)))) < 0.01)
    True
    >>> bool(mmd(X, rng.normal(size=(200, 2)) + 1.0) > 0.1)
    True
    """
    _check_kernel_params(kernel, gamma, degree, coef0)
    _check_max_samples(max_samples)
    X, Y = _check_samples(X, Y, min_rows=2 if unbiased else 1)
    X, Y = _subsample(X, Y, max_samples, random_state)
    params = _kernel_params(kernel, gamma, degree, coef0, X, Y)
    sum_xx, trace_x = _block_sums(X, X, kernel, params, same=True)
    sum_yy, trace_y = _block_sums(Y, Y, kernel, params, same=True)
    sum_xy, _ = _block_sums(X, Y, kernel, params, same=False)
    return float(_statistic(sum_xx, trace_x, sum_yy, trace_y, sum_xy, X.shape[0], Y.shape[0], unbiased))


def mmd_test(X, Y, *, n_permutations=500, kernel="rbf", gamma=None, degree=3, coef0=1.0,
             unbiased=True, max_samples=5000, random_state=None):
    """Permutation test of the hypothesis that two samples share a distribution, with the MMD.

    The statistic is the squared MMD of :func:`mmd`. Its null distribution is
    that of the statistic after the pooled rows are randomly reassigned to
    two samples of the original sizes; the p-value is
    ``(1 + #{permutations with a statistic >= the observed one}) /
    (1 + n_permutations)``, which makes the test exact (a level-``alpha``
    test rejects with probability at most ``alpha`` under the hypothesis).
    The pooled kernel matrix is computed once and the permutations are
    evaluated in batches with matrix products.

    Parameters
    ----------
    X : array-like of shape (n_samples_X, n_features) or (n_samples_X,)
        First sample; a 1-D array is a sample of one feature.
    Y : array-like of shape (n_samples_Y, n_features) or (n_samples_Y,)
        Second sample, with the same features.
    n_permutations : int, default=500
        Number of random permutations. The smallest p-value possible is
        ``1 / (1 + n_permutations)``.
    kernel : {"rbf", "linear", "poly"}, default="rbf"
        As in :func:`mmd`.
    gamma : float, default=None
        As in :func:`mmd`: None is the median heuristic on the pooled sample
        (it is the same for every permutation).
    degree, coef0 : int, float
        As in :func:`mmd`.
    unbiased : bool, default=True
        As in :func:`mmd`.
    max_samples : int or None, default=5000
        The test holds the pooled kernel matrix in memory (``8 N^2`` bytes
        for ``N`` pooled rows) and costs ``O(N^2)`` per permutation. With
        more pooled rows than ``max_samples``, it runs on a random subsample
        of that many rows, drawn from each sample in proportion to its size:
        the test stays exact, it only loses some power. None uses every row.
    random_state : int, RandomState instance or None, default=None
        Draws the permutations (and the subsample).

    Returns
    -------
    result : MMDTestResult
        A named tuple ``(statistic, pvalue)``.

    See Also
    --------
    mmd : The statistic.

    References
    ----------
    .. [1] A. Gretton, K. M. Borgwardt, M. J. Rasch, B. Schoelkopf and
       A. Smola, "A Kernel Two-Sample Test", JMLR 13, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import mmd_test
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 2))
    >>> result = mmd_test(X, rng.normal(size=(100, 2)) + 1.0, random_state=0)
    >>> float(result.pvalue)
    0.001996007984031936
    >>> statistic, pvalue = mmd_test(X, rng.normal(size=(100, 2)), random_state=0)
    >>> bool(pvalue > 0.05)
    True
    """
    from sklearn.utils import check_random_state

    from ._kernels import kernel_matrix

    if isinstance(n_permutations, bool) or not isinstance(n_permutations, Integral) or n_permutations < 1:
        raise ValueError(f"n_permutations must be a positive integer, got {n_permutations!r}.")
    _check_kernel_params(kernel, gamma, degree, coef0)
    _check_max_samples(max_samples)
    X, Y = _check_samples(X, Y, min_rows=2 if unbiased else 1, who="mmd_test")
    rng = check_random_state(random_state)
    X, Y = _subsample(X, Y, max_samples, rng)
    n_x, n_y = X.shape[0], Y.shape[0]
    n = n_x + n_y
    pooled = _vstack(X, Y)
    params = _kernel_params(kernel, gamma, degree, coef0, X, Y)
    K = np.asarray(kernel_matrix(pooled, pooled, kernel, **params))
    K = 0.5 * (K + K.T)  # exactly symmetric, so that sums do not depend on the order
    row_sums = K.sum(axis=1)
    total = float(row_sums.sum())
    diagonal = np.diag(K).copy()
    trace = float(diagonal.sum())

    def statistics(indicators):
        """The statistic for each column of ``indicators`` (1 on the rows of X)."""
        KS = K @ indicators
        sum_xx = np.einsum("ij,ij->j", indicators, KS)
        in_x = indicators.T @ row_sums  # s^T K 1
        sum_xy = in_x - sum_xx
        sum_yy = total - 2.0 * in_x + sum_xx
        trace_x = indicators.T @ diagonal
        return _statistic(sum_xx, trace_x, sum_yy, trace - trace_x, sum_xy, n_x, n_y, unbiased)

    identity = np.zeros((n, 1))
    identity[:n_x] = 1.0
    observed = float(statistics(identity)[0])
    batch = max(1, min(n_permutations, _PERMUTATION_BATCH_BYTES // (8 * n)))
    n_extreme, done = 0, 0
    # permutation statistics equal to the observed one up to rounding count as ties
    tie = 1e-12 * max(abs(observed), abs(total) / n**2)
    while done < n_permutations:
        size = min(batch, n_permutations - done)
        indicators = np.zeros((n, size))
        for j in range(size):
            indicators[rng.permutation(n)[:n_x], j] = 1.0
        n_extreme += int(np.count_nonzero(statistics(indicators) >= observed - tie))
        done += size
    return MMDTestResult(observed, (1.0 + n_extreme) / (1.0 + n_permutations))


# ---- credit-scoring metrics -------------------------------------------------


def _binary_scores(y_true, y_score, sample_weight, who):
    """Checked ``(y_true, y_score, sample_weight, positive)``: two classes, the
    larger label (sorted order: numbers or strings) positive; finite scores."""
    y_true = np.asarray(y_true)
    if y_true.ndim == 2 and y_true.shape[1] == 1:
        y_true = y_true.ravel()
    if y_true.ndim != 1:
        raise ValueError(f"{who}: y_true must be 1-D (one outcome per row), got shape {y_true.shape}.")
    try:
        y_score = np.asarray(y_score, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: y_score must hold numbers (scores or probabilities).") from None
    if y_score.ndim == 2 and y_score.shape[1] == 2:
        y_score = y_score[:, 1]
    if y_score.ndim == 2 and y_score.shape[1] == 1:
        y_score = y_score.ravel()
    if y_score.ndim != 1:
        raise ValueError(
            f"{who}: y_score must be 1-D, or predict_proba output with two columns, got shape {y_score.shape}."
        )
    if y_true.shape != y_score.shape:
        raise ValueError(f"y_true has {y_true.shape[0]} entries but y_score has {y_score.shape[0]}.")
    if not np.all(np.isfinite(y_score)):
        raise ValueError(
            f"{who}: y_score has {int(np.sum(~np.isfinite(y_score)))} NaN or infinite value(s); "
            "the scores must be finite."
        )
    if y_true.dtype.kind == "O" and any(v is None or (isinstance(v, float) and v != v) for v in y_true):
        raise ValueError(f"{who}: y_true has missing outcomes (None or NaN); drop those rows first.")
    if y_true.dtype.kind == "f" and np.isnan(y_true).any():
        raise ValueError(f"{who}: y_true has missing outcomes (NaN); drop those rows first.")
    try:
        classes = np.unique(y_true)
    except TypeError:
        raise TypeError(
            f"{who}: y_true mixes labels that cannot be ordered (e.g. numbers and strings); "
            "the positive class is the larger label, so use labels of one type."
        ) from None
    if len(classes) != 2:
        raise ValueError(
            f"Credit metrics need binary outcomes (two classes), got {len(classes)}: {classes[:5]}."
        )
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=float).ravel()
        if sample_weight.shape != y_true.shape:
            raise ValueError(
                f"{who}: sample_weight has {sample_weight.shape[0]} entries but y_true has {y_true.shape[0]}."
            )
    # as 0/1 outcomes, the larger label positive: sklearn's metrics then take any label type
    return (y_true == classes[1]).astype(int), y_score, sample_weight, classes[1]


def gini_score(y_true, y_score, *, sample_weight=None):
    """Gini coefficient of a score: ``2 * AUC - 1``, the accuracy ratio of credit scoring.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcomes, numbers or strings; the larger label (in sorted
        order) is the positive class (e.g. default).
    y_score : array-like of shape (n_samples,) or (n_samples, 2)
        Scores that rank positives higher, or ``predict_proba`` output.
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    gini : float
        In [-1, 1]; 0 for a random score, 1 for a perfect one.

    Examples
    --------
    >>> from sktransfer.metrics import gini_score
    >>> gini_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.5
    """
    from sklearn.metrics import roc_auc_score

    y_true, y_score, sample_weight, _ = _binary_scores(y_true, y_score, sample_weight, "gini_score")
    return float(2 * roc_auc_score(y_true, y_score, sample_weight=sample_weight) - 1)


def ks_score(y_true, y_score, *, sample_weight=None):
    """Kolmogorov-Smirnov statistic of a score: the largest gap between the
    score distributions of positives and negatives (``max(TPR - FPR)``).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcomes, numbers or strings; the larger label (in sorted
        order) is the positive class.
    y_score : array-like of shape (n_samples,) or (n_samples, 2)
        Scores that rank positives higher, or ``predict_proba`` output.
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    ks : float
        In [0, 1].

    Examples
    --------
    >>> from sktransfer.metrics import ks_score
    >>> ks_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.5
    """
    from sklearn.metrics import roc_curve

    y_true, y_score, sample_weight, _ = _binary_scores(y_true, y_score, sample_weight, "ks_score")
    fpr, tpr, _ = roc_curve(y_true, y_score, pos_label=1, sample_weight=sample_weight)
    return float(np.max(tpr - fpr))


class LabeledRowsScorer:
    """A scorer ``scorer(estimator, X, y)`` that scores the labelled rows only.

    Rows whose label is masked (``-1`` or ``NaN``: unlabelled target rows of
    stacked domain-adaptation data) are dropped before ``score_func`` is
    applied, so the scorer can be given to ``GridSearchCV(scoring=...)`` or
    ``cross_val_score`` on stacked data. On such data it scores the labelled
    source rows: it does not estimate the target score.

    Parameters
    ----------
    score_func : callable
        ``score_func(y_true, y_score) -> float``, greater is better.
    response_method : str, default="predict_proba"
        Method of the estimator giving ``y_score``; for ``predict_proba`` the
        column of the larger class is used.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from sktransfer import make_da_pipeline
    >>> from sktransfer.metrics import gini_scorer
    >>> X = [[0.0], [0.2], [0.9], [1.0], [0.1], [0.8], [0.5], [0.4]]
    >>> y = [0, 0, 1, 1, 0, 1, -1, -1]
    >>> scores = cross_val_score(make_da_pipeline(LogisticRegression()), X, y, cv=2,
    ...                          scoring=gini_scorer)
    >>> scores.shape
    (2,)
    """

    def __init__(self, score_func, response_method="predict_proba"):
        self.score_func = score_func
        self.response_method = response_method

    def __call__(self, estimator, X, y, sample_weight=None):
        import scipy.sparse as sp

        from ._domain import num_rows, unlabeled_mask

        if y is None or np.ndim(y) == 0:
            raise ValueError(f"The scorer needs y, one label per row (-1 on unlabelled rows), got {y!r}.")
        if num_rows(X) != num_rows(y):
            raise ValueError(f"y has {num_rows(y)} entries but X has {num_rows(X)} rows.")
        rows = np.flatnonzero(~unlabeled_mask(y, "classification"))
        if rows.size == 0:
            raise ValueError("The scorer found no labelled rows to score.")
        if hasattr(X, "iloc"):
            X_rows = X.iloc[rows]
        elif sp.issparse(X):
            X_rows = sp.csr_matrix(X)[rows]
        else:
            X_rows = np.asarray(X)[rows]
        y_rows = np.asarray(y)[rows]
        scores = getattr(estimator, self.response_method)(X_rows)
        if self.response_method == "predict_proba":
            scores = np.asarray(scores)[:, -1]
        kwargs = {} if sample_weight is None else {"sample_weight": np.asarray(sample_weight)[rows]}
        return self.score_func(y_rows, scores, **kwargs)

    def __repr__(self):
        return f"LabeledRowsScorer({self.score_func.__name__}, response_method={self.response_method!r})"


def _auc(y_true, y_score, *, sample_weight=None):
    from sklearn.metrics import roc_auc_score

    y_true, y_score, sample_weight, _ = _binary_scores(y_true, y_score, sample_weight, "roc_auc_scorer")
    return float(roc_auc_score(y_true, y_score, sample_weight=sample_weight))


#: Scorers for ``GridSearchCV(scoring=...)`` that skip masked (unlabelled) rows.
gini_scorer = LabeledRowsScorer(gini_score)
ks_scorer = LabeledRowsScorer(ks_score)
roc_auc_scorer = LabeledRowsScorer(_auc)
