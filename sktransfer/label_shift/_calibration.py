"""Bias-corrected temperature scaling (BCTS) of predicted class probabilities.

A label-shift correction multiplies each class probability by the ratio of
the target to the source prior. That is only right when the probabilities
are calibrated: EM in particular reads an over-confident classifier as a
prior shift. Alexandari, Kundaje and Shrikumar (2020) found that temperature
scaling with one bias per class (BCTS), fitted on held-out labelled source
rows, makes maximum-likelihood (EM) prior estimation hard to beat.

The calibrated probabilities are ``softmax(log(p) / T + b)``: one
temperature ``T`` and one bias per class (the first fixed to 0: only
differences of biases matter), fitted by maximum likelihood. With the biases
free, the mean calibrated probability of each class equals its frequency in
the rows the calibration was fitted on (the stationarity condition of the
biases), which is what makes the source prior and the probabilities agree.
"""

from numbers import Real

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["TemperatureScaling"]

_EPS = 1e-12  # probabilities are clipped here before the log
_MAX_INV_TEMPERATURE = 1e3


def _check_proba(proba, who, name="proba", n_classes=None):
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[1] < 2:
        raise ValueError(
            f"{who}: {name} must be a 2-d array of class probabilities with one column per "
            f"class (at least 2), got shape {proba.shape}."
        )
    if n_classes is not None and proba.shape[1] != n_classes:
        raise ValueError(f"{who}: {name} has {proba.shape[1]} columns, expected {n_classes} (one per class).")
    if not np.all(np.isfinite(proba)):
        raise ValueError(f"{who}: {name} contains NaN or infinity.")
    if np.any(proba < 0) or np.any(proba > 1 + 1e-6):
        raise ValueError(f"{who}: {name} must hold probabilities in [0, 1].")
    sums = proba.sum(axis=1)
    if np.any(np.abs(sums - 1) > 1e-4):
        raise ValueError(
            f"{who}: the rows of {name} must sum to 1 (class probabilities); a row sums to "
            f"{sums[np.argmax(np.abs(sums - 1))]:.4g}."
        )
    return proba


def _logits(proba):
    return np.log(np.clip(proba, _EPS, 1.0))


def _nll_and_grad(params, z, onehot, fit_bias):
    a = params[0]
    b = np.concatenate([[0.0], params[1:]]) if fit_bias else np.zeros(z.shape[1])
    scores = a * z + b
    logq = log_softmax(scores, axis=1)
    n = z.shape[0]
    nll = -np.sum(onehot * logq) / n
    residual = (np.exp(logq) - onehot) / n
    grad_a = np.sum(residual * z)
    grad = [grad_a]
    if fit_bias:
        grad.extend(residual.sum(axis=0)[1:])
    return nll, np.asarray(grad)


class TemperatureScaling(BaseEstimator):
    """Temperature scaling of class probabilities, with a bias per class (BCTS).

    A post-hoc calibrator: it maps probabilities ``p`` (from any classifier's
    ``predict_proba`` on held-out labelled rows) to
    ``softmax(log(p) / temperature_ + bias_)``, fitted by maximum likelihood.
    ``bias=True`` is the bias-corrected temperature scaling of Alexandari et
    al. (2020); ``bias=False`` plain temperature scaling (Guo et al. 2017).

    Parameters
    ----------
    bias : bool, default=True
        Fit one bias per class (the first is fixed at 0). With the biases,
        the mean calibrated probability of each class equals its frequency in
        the calibration rows.
    reg : float, default=1e-6
        L2 penalty on the biases, which keeps them finite when a class is
        perfectly separated in the calibration rows.

    Attributes
    ----------
    temperature_ : float
        The fitted temperature (above 1: the probabilities were over-confident).
    bias_ : ndarray of shape (n_classes,)
        The fitted biases (zeros without ``bias``).
    n_classes_ : int
        Number of classes (columns of the probabilities).

    References
    ----------
    .. [1] A. Alexandari, A. Kundaje and A. Shrikumar, "Maximum likelihood with
       bias-corrected calibration is hard-to-beat at label shift adaptation",
       ICML 2020.
    .. [2] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On calibration of
       modern neural networks", ICML 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.label_shift import TemperatureScaling
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500)
    >>> p1 = np.where(y == 1, 0.99, 0.01)          # over-confident scores
    >>> flip = rng.random(500) < 0.2                 # that are wrong 20% of the time
    >>> p1 = np.where(flip, 1 - p1, p1)
    >>> proba = np.column_stack([1 - p1, p1])
    >>> cal = TemperatureScaling().fit(proba, y)
    >>> bool(cal.temperature_ > 1)
    True
    >>> cal.transform([[0.99, 0.01], [0.01, 0.99]]).round(1)
    array([[0.8, 0.2],
           [0.2, 0.8]])
    """

    def __init__(self, bias=True, reg=1e-6):
        self.bias = bias
        self.reg = reg

    def fit(self, proba, y):
        """Fit the temperature (and biases) on held-out probabilities and labels.

        Parameters
        ----------
        proba : array-like of shape (n_samples, n_classes)
            Predicted probabilities of held-out labelled rows.
        y : array-like of shape (n_samples,)
            Class indices ``0 .. n_classes - 1`` of those rows (the column of
            ``proba`` of the true class).

        Returns
        -------
        self : TemperatureScaling
        """
        who = type(self).__name__
        if not isinstance(self.reg, Real) or isinstance(self.reg, bool) or self.reg < 0:
            raise ValueError(f"{who}: reg must be a non-negative number, got {self.reg!r}.")
        proba = _check_proba(proba, who)
        y = np.asarray(y)
        if y.shape != (proba.shape[0],):
            raise ValueError(f"{who}: y must have one class index per row of proba, got shape {y.shape}.")
        if y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= proba.shape[1]:
            raise ValueError(
                f"{who}: y must hold class indices 0 .. {proba.shape[1] - 1} (the column of proba "
                "of each row's class)."
            )
        k = proba.shape[1]
        z = _logits(proba)
        onehot = np.eye(k)[y]
        fit_bias = bool(self.bias)
        reg = float(self.reg)

        def objective(params):
            nll, grad = _nll_and_grad(params, z, onehot, fit_bias)
            if fit_bias:
                nll += 0.5 * reg * np.sum(params[1:] ** 2)
                grad[1:] += reg * params[1:]
            return nll, grad

        start = np.zeros(k if fit_bias else 1)
        start[0] = 1.0
        bounds = [(1.0 / _MAX_INV_TEMPERATURE, _MAX_INV_TEMPERATURE)] + [(None, None)] * (len(start) - 1)
        result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds)
        self.temperature_ = float(1.0 / result.x[0])
        self.bias_ = np.concatenate([[0.0], result.x[1:]]) if fit_bias else np.zeros(k)
        self.n_classes_ = k
        return self

    def transform(self, proba):
        """Calibrated probabilities.

        Parameters
        ----------
        proba : array-like of shape (n_samples, n_classes)

        Returns
        -------
        calibrated : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        proba = _check_proba(proba, type(self).__name__, n_classes=self.n_classes_)
        return softmax(_logits(proba) / self.temperature_ + self.bias_, axis=1)


class _Identity:
    """The calibrator of ``calibration=None``."""

    temperature_ = 1.0

    def transform(self, proba):
        return np.asarray(proba, dtype=np.float64)
