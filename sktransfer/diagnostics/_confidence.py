"""The pieces the target-score estimates share: weighted AUCs, soft labels
from calibrated scores, and bootstrap counts.

Every score here is computed from per-row weights on a fixed ranking, so
that a bootstrap replicate is only a new set of weights (the multinomial
counts of the resample, times the row's own weight): the rows are sorted
once and each replicate costs one pass over them.
"""

import numpy as np

CALIBRATIONS = ("isotonic", "sigmoid")
_PROBA_CLIP = 1e-12
_CHUNK_CELLS = 2_000_000  # replicates x rows held in memory at once


class RankedScores:
    """Scores sorted once, with their groups of ties, for weighted AUCs.

    ``auc(positive, negative)`` is the probability that a row drawn with
    weights ``positive`` outranks one drawn with weights ``negative`` (ties
    count one half): with ``positive = w * y`` and ``negative = w * (1 - y)``
    it is sklearn's ``roc_auc_score(y, scores, sample_weight=w)``; with soft
    labels ``positive = p`` and ``negative = 1 - p`` it is the AUC expected
    when each row is a positive with probability ``p``. Weights may be 2-D,
    one replicate per row of the array.
    """

    def __init__(self, scores):
        scores = np.asarray(scores, dtype=float)
        self.order = np.argsort(scores, kind="mergesort")
        ranked = scores[self.order]
        self.starts = np.r_[0, np.flatnonzero(np.diff(ranked) != 0) + 1]

    def _grouped(self, weights):
        return np.add.reduceat(np.asarray(weights, dtype=float)[..., self.order], self.starts, axis=-1)

    def auc(self, positive, negative, self_pairs=0.0):
        """Weighted AUC; ``self_pairs`` is the weight of the pairs of a row with
        itself (``sum p (1 - p)`` for soft labels), left out of the count."""
        pos, neg = self._grouped(positive), self._grouped(negative)
        below = np.cumsum(neg, axis=-1) - neg
        wins = np.sum(pos * (below + 0.5 * neg), axis=-1) - 0.5 * np.asarray(self_pairs)
        pairs = pos.sum(axis=-1) * neg.sum(axis=-1) - np.asarray(self_pairs)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(pairs > 0, wins / np.where(pairs > 0, pairs, 1.0), np.nan)


def soft_auc(ranked, p, counts=1.0):
    """Expected AUC of the scores ``ranked`` when row i is positive with
    probability ``p[i]`` (``counts``: bootstrap multiplicities)."""
    positive, negative = counts * p, counts * (1 - p)
    return ranked.auc(positive, negative, self_pairs=np.sum(counts * p * (1 - p), axis=-1))


def hard_auc(ranked, y, counts=1.0):
    """AUC of binary labels ``y`` (0/1), weighted by ``counts``."""
    return ranked.auc(counts * y, counts * (1 - y))


def expected_metric(scoring, p, proba, predicted_positive, counts=None):
    """A binary classifier's score expected on rows whose positive label has
    calibrated probability ``p``: accuracy of the predictions, or minus the
    log loss of the model's probabilities ``proba`` (of the positive class)."""
    counts = np.ones_like(p) if counts is None else counts
    if scoring == "accuracy":
        per_row = np.where(predicted_positive, p, 1 - p)
    else:
        q = np.clip(proba, _PROBA_CLIP, 1 - _PROBA_CLIP)
        per_row = p * np.log(q) + (1 - p) * np.log(1 - q)
    return np.sum(counts * per_row, axis=-1) / np.sum(counts, axis=-1)


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _platt(z, y, w, n_iter=50, tol=1e-10):
    """``(a, b)`` of the weighted logistic fit ``P(y = 1) = 1 / (1 + exp(-(a z + b)))``
    by Newton's method (a small ridge keeps separable rows finite)."""
    coef = np.zeros(2)
    design = np.column_stack([z, np.ones_like(z)])
    for _ in range(n_iter):
        p = 1 / (1 + np.exp(-np.clip(design @ coef, -35, 35)))
        gradient = design.T @ (w * (p - y)) + 1e-6 * coef
        hessian = (design * (w * p * (1 - p))[:, None]).T @ design + 1e-6 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        coef -= step
        if np.max(np.abs(step)) < tol:
            break
    return coef


def fit_calibration(method, scores, y, sample_weight=None):
    """A map from the model's positive-class probability to a calibrated one,
    fitted on labelled rows: isotonic regression, or Platt's sigmoid of the
    logit of the score. Rows of weight 0 are left out."""
    from sklearn.isotonic import IsotonicRegression

    scores, y = np.asarray(scores, dtype=float), np.asarray(y, dtype=float)
    if sample_weight is None:
        sample_weight = np.ones_like(scores)
    keep = sample_weight > 0
    scores, y, sample_weight = scores[keep], y[keep], np.asarray(sample_weight, dtype=float)[keep]
    if method == "isotonic":
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        iso.fit(scores, y, sample_weight=sample_weight)
        return iso.predict
    a, b = _platt(_logit(scores), y, sample_weight)
    return lambda s: 1 / (1 + np.exp(-np.clip(a * _logit(np.asarray(s, dtype=float)) + b, -35, 35)))


def bootstrap_counts(random_state, n_rows, n_bootstrap):
    """Multinomial resampling counts, in chunks of replicates (rows x replicates
    bounded), each an int array of shape (chunk, n_rows)."""
    chunk = max(1, _CHUNK_CELLS // max(n_rows, 1))
    done = 0
    while done < n_bootstrap:
        size = min(chunk, n_bootstrap - done)
        yield random_state.multinomial(n_rows, np.full(n_rows, 1.0 / n_rows), size=size).astype(float)
        done += size


def percentile_interval(replicates, confidence):
    """The central ``confidence`` interval of bootstrap replicates (NaN ones
    left out); ``(nan, nan)`` when there are none."""
    replicates = np.asarray(replicates, dtype=float)
    replicates = replicates[np.isfinite(replicates)]
    if replicates.size == 0:
        return float("nan"), float("nan")
    tail = 50 * (1 - confidence)
    low, high = np.percentile(replicates, [tail, 100 - tail])
    return float(low), float(high)


def check_confidence(confidence, who):
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating)) \
            or not 0 < confidence < 1:
        raise ValueError(f"{who}: confidence must be a number in (0, 1), e.g. 0.9, got {confidence!r}.")
    return float(confidence)


def check_n_bootstrap(n_bootstrap, who, minimum=0):
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, (int, np.integer)) or n_bootstrap < minimum \
            or 0 < n_bootstrap < 20:
        raise ValueError(
            f"{who}: n_bootstrap must be an integer of at least 20"
            + (" (or 0 for no interval)" if minimum == 0 else "") + f", got {n_bootstrap!r}."
        )
    return int(n_bootstrap)
