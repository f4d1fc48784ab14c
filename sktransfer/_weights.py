"""Importance weights: their effective sample size, and flattening them to a floor of it.

Shared by the pipeline (which warns on degenerate weights), the target-score
estimate of :mod:`sktransfer.diagnostics` and the scorers of
:mod:`sktransfer.model_selection`.
"""

import numpy as np

EXPONENT_TOL = 1e-10  # bisection tolerance of the flattening exponent


def effective_sample_size(weights):
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` of non-negative weights."""
    weights = np.asarray(weights, dtype=float)
    return float(weights.sum() ** 2 / np.sum(weights**2))


def flatten_weights(weights, min_effective_fraction, who="flatten_weights"):
    """``(weights ** a, a)`` with ``a`` the largest exponent in [0, 1] whose flattened
    weights have an effective sample size of at least ``min_effective_fraction`` of
    the rows (found by bisection, to ``EXPONENT_TOL``; the exponent returned always
    satisfies the bound).

    The effective sample size of ``w ** a`` falls as ``a`` grows (its logarithm is
    ``2 K(a) - K(2a)`` with ``K`` the convex cumulant function of ``log w``), from
    every row at ``a = 0`` (equal weights) to that of the weights themselves at
    ``a = 1``, so the bound has one crossing to find. Up to a constant, ``w ** a`` is
    the density ratio of ``p_target^a p_source^(1-a)``: a target moved part of the
    way back toward the source (Shimodaira 2000).
    """
    weights = np.asarray(weights, dtype=float)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not np.any(weights > 0):
        raise ValueError(
            f"{who}: the importance weights of the source rows must be finite, "
            "non-negative and not all zero to be flattened (min_effective_fraction)."
        )
    scaled = weights / weights.max()  # the ESS does not depend on the scale; no overflow
    bound = min_effective_fraction * weights.size

    def effective(a):
        return effective_sample_size(scaled**a) if a > 0 else float(weights.size)

    if effective(1.0) >= bound:
        return weights, 1.0
    low, high = 0.0, 1.0  # effective(low) >= bound > effective(high)
    while high - low > EXPONENT_TOL:
        middle = 0.5 * (low + high)
        if effective(middle) >= bound:
            low = middle
        else:
            high = middle
    return (scaled**low if low > 0 else np.ones_like(weights)), low
