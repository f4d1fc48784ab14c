"""Kullback-Leibler Importance Estimation Procedure (Sugiyama et al. 2008)."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.model_selection import KFold
from sklearn.utils import check_random_state

from .._kernels import median_heuristic_gamma
from ..base import BaseReweighter
from ._domain_classifier import check_cv_and_max_weight, clip_weights

_GAMMA_FACTORS = (0.1, 0.3, 1.0, 3.0, 10.0)  # grid around the median heuristic


def _kliep_coefficients(K_target, mean_source, max_iter, tol):
    """Maximise ``mean(log(K_target @ a))`` s.t. ``mean_source @ a = 1``, ``a >= 0``.

    With ``pi = mean_source * a`` this is the likelihood of a mixture with
    fixed components and proportions ``pi``, so the EM update
    ``a_l <- a_l * mean_t(K_tl / (K a)_t) / mean_source_l`` keeps the
    constraint, increases the objective at every step and needs no step size
    (the paper's projected gradient does).
    """
    mean_source = np.maximum(mean_source, 1e-300)
    alpha = np.full(K_target.shape[1], 1.0 / mean_source.sum())
    objective = -np.inf
    for n_iter in range(1, max_iter + 1):
        fitted = np.maximum(K_target @ alpha, 1e-300)
        alpha = alpha * (K_target.T @ (1.0 / fitted)) / len(fitted) / mean_source
        new_objective = np.mean(np.log(np.maximum(K_target @ alpha, 1e-300)))
        if abs(new_objective - objective) <= tol * max(1.0, abs(new_objective)):
            return alpha, n_iter, True
        objective = new_objective
    return alpha, max_iter, False


class KLIEP(BaseReweighter):
    """Importance weights by the Kullback-Leibler Importance Estimation Procedure.

    The density ratio is modelled as a non-negative mix of Gaussian kernels
    centred on target rows, ``w(x) = sum_l alpha_l k(x, c_l)``, fitted by
    maximising the likelihood of the target rows under ``w * p_source``
    (with ``mean_source(w) = 1``), by EM updates. The kernel width is chosen by likelihood
    cross-validation on the target rows, so nothing needs target labels.
    Cost is linear in the number of rows (``n x n_centers`` kernel values).

    Parameters
    ----------
    gamma : float or None, default=None
        RBF kernel coefficient. None: chosen by likelihood cross-validation
        among 0.1x to 10x the median heuristic.
    n_centers : int, default=100
        Number of target rows used as kernel centres (drawn at random).
    cv : int, default=5
        Folds of the likelihood cross-validation.
    max_iter : int, default=2000
        Iterations of the projected gradient ascent.
    tol : float, default=1e-6
        Relative change of the objective that stops the ascent.
    max_weight : float, default=None
        Clip the normalised weights at this value (None: no clipping).
    random_state : int, RandomState instance or None, default=None
        Draws the centres, the folds and the rows of the median heuristic.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weight of each fitted row: the density ratio on source rows (mean 1),
        1 on target rows.
    gamma_ : float
        Kernel coefficient used.
    centers_ : ndarray of shape (n_centers, n_features)
        Kernel centres.
    coef_ : ndarray of shape (n_centers,)
        Mixing coefficients ``alpha``.
    n_iter_ : int
        Iterations of the final ascent.
    n_features_in_ : int
        Number of features seen during ``fit``.

    References
    ----------
    .. [1] M. Sugiyama, S. Nakajima, H. Kashima, P. von Buenau and M. Kawanabe,
       "Direct Importance Estimation with Model Selection and Its Application
       to Covariate Shift Adaptation", NeurIPS 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.reweighting import KLIEP
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(300, 1)), rng.normal(1.0, 0.5, size=(200, 1))
    >>> X, y, _ = stack_domains(Xs, np.zeros(300, dtype=int), Xt)
    >>> w = KLIEP(random_state=0).fit(X, y).weights_[:300]
    >>> bool(w[np.abs(Xs[:, 0] - 1) < 0.3].mean() > 2 * w[Xs[:, 0] < -1].mean())
    True
    """

    def __init__(self, gamma=None, *, n_centers=100, cv=5, max_iter=2000, tol=1e-6,
                 max_weight=None, random_state=None):
        self.gamma = gamma
        self.n_centers = n_centers
        self.cv = cv
        self.max_iter = max_iter
        self.tol = tol
        self.max_weight = max_weight
        self.random_state = random_state

    def _check_params(self):
        if self.gamma is not None and (not isinstance(self.gamma, Real) or not self.gamma > 0):
            raise ValueError(f"gamma must be a positive number or None, got {self.gamma!r}.")
        for name in ("n_centers", "max_iter"):
            value = getattr(self, name)
            if not isinstance(value, Integral) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        check_cv_and_max_weight(self.cv, self.max_weight)

    def _fit_weights(self, X, source, target):
        self._check_params()
        rng = check_random_state(self.random_state)
        X_source, X_target = X[source].astype(np.float64), X[target].astype(np.float64)
        centre_rows = rng.choice(len(X_target), min(self.n_centers, len(X_target)), replace=False)
        self.centers_ = X_target[centre_rows]
        if self.gamma is not None:
            self.gamma_ = float(self.gamma)
        else:
            base = median_heuristic_gamma(np.vstack([X_source, X_target]), rng)
            if len(X_target) < 2:  # no held-out target rows to choose with
                self.gamma_ = base
            else:
                self.gamma_ = self._select_gamma(X_source, X_target, [base * f for f in _GAMMA_FACTORS], rng)
        K_target = rbf_kernel(X_target, self.centers_, gamma=self.gamma_)
        mean_source = rbf_kernel(X_source, self.centers_, gamma=self.gamma_).mean(axis=0)
        self.coef_, self.n_iter_, converged = _kliep_coefficients(
            K_target, mean_source, self.max_iter, self.tol
        )
        if not converged:
            warnings.warn(
                f"KLIEP did not converge in {self.max_iter} iterations; increase max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
        weights = rbf_kernel(X_source, self.centers_, gamma=self.gamma_) @ self.coef_
        return clip_weights(np.maximum(weights, 0.0) + 1e-12, self.max_weight)

    def _select_gamma(self, X_source, X_target, gammas, rng):
        """Likelihood cross-validation: the held-out target log-likelihood of
        each candidate width."""
        n_folds = min(self.cv, len(X_target))
        folds = list(KFold(n_folds, shuffle=True, random_state=rng.randint(2**31 - 1)).split(X_target))
        scores = []
        for gamma in gammas:
            mean_source = rbf_kernel(X_source, self.centers_, gamma=gamma).mean(axis=0)
            K_target = rbf_kernel(X_target, self.centers_, gamma=gamma)
            held_out = []
            for train, test in folds:
                alpha, _, _ = _kliep_coefficients(K_target[train], mean_source, self.max_iter, self.tol)
                held_out.append(np.mean(np.log(np.maximum(K_target[test] @ alpha, 1e-300))))
            scores.append(np.mean(held_out))
        return float(gammas[int(np.argmax(scores))])
