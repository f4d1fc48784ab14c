"""Dense linear algebra shared by the alignment methods."""

import numpy as np

_CHUNK_BYTES = 4 * 2**20  # rows processed together: a few MiB stays in cache


def masked_covariances(X, masks):
    """Means and covariances of the rows selected by each mask.

    One pass for the sums of all masks together, then one chunked pass that
    centres the selected rows of each chunk and accumulates their Gram matrix:
    no copy of ``X``, no n x n matrix, and float64 accumulation for float32
    input.

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
    n_samples, n_features = X.shape
    counts = [int(m.sum()) for m in masks]
    selector = np.stack(masks).astype(X.dtype)
    means = [s / max(c, 1) for s, c in zip((selector @ X).astype(np.float64), counts)]
    grams = [np.zeros((n_features, n_features)) for _ in masks]
    offsets = [np.zeros(n_features) for _ in masks]
    step = max(256, _CHUNK_BYTES // (8 * max(n_features, 1)))
    for start in range(0, n_samples, step):
        chunk = X[start:start + step]
        for mask, mean, gram, offset in zip(masks, means, grams, offsets):
            rows = chunk[mask[start:start + step]]
            if rows.shape[0] == 0:
                continue
            rows = np.subtract(rows, mean, dtype=np.float64)
            gram += rows.T @ rows
            offset += rows.sum(axis=0)
    covariances = []
    for gram, offset, mean, count in zip(grams, offsets, means, counts):
        # exact correction for the rounding error of the mean of the first pass
        shift = offset / max(count, 1)
        cov = (gram - count * np.outer(shift, shift)) / max(count - 1, 1)
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
