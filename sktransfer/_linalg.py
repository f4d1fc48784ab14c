"""Dense linear algebra shared by the alignment methods."""

import numpy as np

_CHUNK_BYTES = 16 * 2**20  # rows gathered together: large enough for BLAS to be efficient
_MIN_RUN = 1024  # rows per run below which row runs are gathered chunk by chunk
_MAX_MEAN_TO_SPREAD = 1e6  # mean^2 / variance above which the one-pass formula loses digits


def row_runs(mask, max_runs=None):
    """``(start, stop, value)`` of each run of equal values in a boolean mask.

    Stacked domain data usually holds a few long runs (all source rows, then
    all target rows), which can be processed as views without any copy.
    Returns None when there are more than ``max_runs`` runs.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.size == 0:
        return []
    edges = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    if max_runs is not None and len(edges) + 1 > max_runs:
        return None
    starts = np.r_[0, edges]
    stops = np.r_[edges, mask.size]
    return [(int(a), int(b), bool(mask[a])) for a, b in zip(starts, stops)]


def long_row_runs(mask):
    """The runs of :func:`row_runs` if they are long enough to work on views,
    run by run; None if the rows are too mixed (then gather them in chunks)."""
    return row_runs(mask, max_runs=max(2, len(mask) // _MIN_RUN))


def _selected_blocks(X, mask):
    """The rows of ``X`` selected by ``mask``, as a sequence of 2-D blocks:
    views of long runs, or copies gathered chunk by chunk."""
    n_samples = X.shape[0]
    runs = long_row_runs(mask)
    if runs is not None:
        for start, stop, value in runs:
            if value:
                yield X[start:stop]
        return
    step = max(256, _CHUNK_BYTES // (X.itemsize * max(X.shape[1], 1)))
    for start in range(0, n_samples, step):
        rows = X[start:start + step][mask[start:start + step]]
        if rows.shape[0]:
            yield rows


def gram_moments(blocks, n_features):
    """``(count, sum, X.T @ X)`` of a sequence of 2-D float64 blocks of rows."""
    count, total, gram = 0, np.zeros(n_features), np.zeros((n_features, n_features))
    for block in blocks:
        count += block.shape[0]
        total += block.sum(axis=0, dtype=np.float64)
        gram += block.T @ block
    return count, total, gram


def centred_moments(blocks, mean, n_features):
    """``(G, offset)``: the Gram matrix of the blocks' rows minus ``mean``
    (computed in float64) and the sum of those centred rows."""
    gram = np.zeros((n_features, n_features))
    offset = np.zeros(n_features)
    step = max(256, _CHUNK_BYTES // (8 * max(n_features, 1)))
    for block in blocks:
        for start in range(0, block.shape[0], step):
            rows = np.subtract(block[start:start + step], mean, dtype=np.float64)
            gram += rows.T @ rows
            offset += rows.sum(axis=0)
    return gram, offset


def covariance_from_moments(count, total, gram):
    """Mean and unbiased covariance from the sufficient statistics of the rows
    (their count, sum and Gram matrix), or ``(mean, None)`` where the one-pass
    formula ``(G - n mu mu^T) / (n - 1)`` would lose too many digits (means
    far larger than the spread): then centre the rows first
    (:func:`covariance_from_centred`)."""
    mean = total / max(count, 1)
    if gram is None:
        return mean, None
    cov = (gram - count * np.outer(mean, mean)) / max(count - 1, 1)
    if np.any(mean**2 > _MAX_MEAN_TO_SPREAD * np.maximum(np.diag(cov), 0.0)):
        return mean, None
    return mean, cov


def covariance_from_centred(count, gram, offset):
    """Unbiased covariance from the Gram matrix of rows centred on an
    approximate mean and the sum of those rows (the exact correction for the
    rounding error of that mean)."""
    shift = offset / max(count, 1)
    return (gram - count * np.outer(shift, shift)) / max(count - 1, 1)


def masked_covariances(X, masks):
    """Means and covariances of the rows selected by each mask.

    For float64 data: one pass over views of the selected rows (long runs of
    stacked data need no copy) that accumulates their sum and their Gram
    matrix (``X.T @ X`` on each block, the symmetric BLAS kernel), then
    ``cov = (G - n mu mu^T) / (n - 1)``. Where that formula would lose digits
    (means far larger than the spread) and for float32 data, the rows are
    centred in float64 before their Gram matrix is taken. No copy of ``X``
    and no n x n matrix in any case. The same sufficient statistics, added up
    over the chunks of a Dask array, fit :class:`~sktransfer.CORAL` there.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    masks : list of ndarray of bool of shape (n_samples,)

    Returns
    -------
    means : list of ndarray of shape (n_features,), float64
    covariances : list of ndarray of shape (n_features, n_features), float64
        Unbiased (``n - 1``) covariances; zero for a single row.
    """
    n_features = X.shape[1]
    means, covariances = [], []
    for mask in masks:
        count = int(mask.sum())
        if X.dtype == np.float64:
            _, total, gram = gram_moments(_selected_blocks(X, mask), n_features)
        else:
            total = np.zeros(n_features)
            for block in _selected_blocks(X, mask):
                total += block.sum(axis=0, dtype=np.float64)
            gram = None
        mean, cov = covariance_from_moments(count, total, gram)
        if cov is None:
            cov = covariance_from_centred(count, *centred_moments(_selected_blocks(X, mask), mean, n_features))
        means.append(mean)
        covariances.append((cov + cov.T) / 2)
    return means, covariances


def symmetric_power(matrix, power, reg=0.0):
    """``(matrix + reg I) ** power`` for a symmetric positive semi-definite matrix.

    One symmetric eigendecomposition. For a negative ``power``, eigenvalues
    that are zero up to rounding are left out (a pseudo-inverse), so a
    rank-deficient covariance with ``reg=0`` gives finite results.
    """
    eigvals, eigvecs = np.linalg.eigh(matrix)
    eigvals = np.clip(eigvals, 0.0, None) + reg
    if power < 0:
        tol = eigvals.max(initial=0.0) * max(matrix.shape) * np.finfo(np.float64).eps
        scaled = np.zeros_like(eigvals)
        keep = eigvals > tol
        scaled[keep] = eigvals[keep] ** power
    else:
        scaled = eigvals**power
    return (eigvecs * scaled) @ eigvecs.T


def masked_means_and_scales(X, masks):
    """Per-feature means and standard deviations (``ddof=0``) of the rows of
    each mask; a scale that is zero up to rounding (relative to the column's
    magnitude, so that a feature measured in tiny units keeps its scale) becomes 1."""
    means, scales = [], []
    for mask in masks:
        rows = X[mask]
        mean = rows.mean(axis=0, dtype=np.float64)
        scale = rows.std(axis=0, dtype=np.float64)
        means.append(mean)
        scales.append(unit_scale(scale, np.abs(rows).max(axis=0, initial=0.0)))
    return means, scales


def unit_scale(scale, magnitude):
    """The scales with those that are zero up to rounding (relative to the
    column's largest absolute value) replaced by 1."""
    scale = np.array(scale, dtype=np.float64)
    scale[(scale <= 1e-8 * magnitude) | (scale == 0)] = 1.0
    return scale


def scale_from_moments(count, squares, offset):
    """Standard deviation (``ddof=0``) from the sum of squared deviations from
    an approximate mean and the sum of those deviations."""
    shift = offset / max(count, 1)
    return np.sqrt(np.maximum(squares / max(count, 1) - shift**2, 0.0))


def oas_shrinkage(covariance, n_samples):
    """Oracle Approximating Shrinkage amount (Chen, Wiesel, Eldar & Hero 2010).

    The weight ``rho`` in ``(1 - rho) * S + rho * trace(S) / p * I`` that
    approximately minimises the expected squared error for Gaussian data,
    computed from the sample covariance ``S`` and the number of rows alone,
    with the formula of :func:`sklearn.covariance.oas`.
    """
    n_features = covariance.shape[0]
    if n_features == 1 or n_samples <= 1:
        return 0.0 if n_features == 1 else 1.0
    # sklearn's oas works on the biased (1/n) covariance
    biased = covariance * (n_samples - 1) / n_samples
    mu = np.trace(biased) / n_features
    alpha = np.mean(biased**2)
    num = alpha + mu**2
    den = (n_samples + 1.0) * (alpha - (mu**2) / n_features)
    return 1.0 if den == 0 else float(min(num / den, 1.0))


def shrink_toward_identity(covariance, amount):
    """``(1 - amount) * S + amount * trace(S) / p * I``."""
    n_features = covariance.shape[0]
    mu = np.trace(covariance) / n_features
    shrunk = (1.0 - amount) * covariance
    shrunk.flat[:: n_features + 1] += amount * mu
    return shrunk
