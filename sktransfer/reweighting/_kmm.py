"""Kernel Mean Matching (Huang et al., NIPS 2007).

The weights ``beta`` of the source rows solve the quadratic programme

    minimise    1/2 beta^T K beta - kappa^T beta
    subject to  0 <= beta_i <= B,   |mean(beta) - 1| <= eps

with ``K = k(X_s, X_s)`` and ``kappa = (n_s / n_t) k(X_s, X_t) 1``: up to a
factor ``n_s^2 / 2`` and a constant, the objective is the squared distance
between the weighted source mean and the target mean in the kernel's feature
space (the squared MMD).

Only products with ``K`` are needed (:func:`solve_kmm_qp`: L-BFGS-B on the
box, then, if the sum constraint binds, FISTA with an exact projection), so
that with a landmark (Nystroem) approximation ``K ~ Phi Phi^T + D`` (``D``
the diagonal that makes ``k(x, x)`` exact) a product costs ``O(n_s m)`` and
memory stays linear in the number of rows. The solver stops on a
certificate: the Frank-Wolfe duality gap, an upper bound on the distance of
the objective to its optimum.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.linalg import eigh
from scipy.sparse.linalg import LinearOperator, eigsh
from sklearn.exceptions import ConvergenceWarning

from .._kernels import check_kernel, choose_landmarks, kernel_matrix, median_heuristic_gamma
from ..base import BaseReweighter

__all__ = ["KernelMeanMatching"]

_EXACT_MAX_SOURCE = 5000  # n_landmarks="auto": the exact kernel up to this many source rows ...
_EXACT_MAX_PRODUCT = 5000 * 20000  # ... and source x target rows
_AUTO_LANDMARKS = 1000
_CHUNK_ENTRIES = 2**22  # kernel entries computed at once (32 MiB in float64)
_MAXCOR = 20  # L-BFGS-B memory
_CHECK_EVERY = 10  # iterations between two evaluations of the duality gap
_RCOND = 1e-10  # eigenvalues of K_mm below this fraction of the largest are dropped


# --------------------------------------------------------------------------
# the feasible set {0 <= beta <= B, lo <= sum(beta) <= hi}


def project_box_sum(v, upper, lo, hi):
    """Euclidean projection of ``v`` onto ``{0 <= x <= upper, lo <= sum(x) <= hi}``.

    If clipping ``v`` to the box leaves the sum in ``[lo, hi]`` that is the
    projection; otherwise it is ``clip(v - tau, 0, upper)`` with the
    multiplier ``tau`` that puts the sum on the violated bound. The sum is a
    decreasing, piecewise linear function of ``tau``: safeguarded Newton
    steps (bisection when a step leaves the bracket) find the piece, where
    one step is exact.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.reweighting._kmm import project_box_sum
    >>> project_box_sum(np.array([1.5, 1.0, -1.0]), 2.0, 0.0, 2.0)
    array([1.25, 0.75, 0.  ])
    """
    x = np.clip(v, 0.0, upper)
    total = x.sum()
    if lo <= total <= hi:
        return x
    target = hi if total > hi else lo
    # s(tau) = sum(clip(v - tau, 0, upper)) is n*upper below min(v) - upper and 0 above max(v)
    low, high = (0.0, float(v.max())) if total > hi else (float(v.min()) - upper, 0.0)
    tau = 0.0
    scale = max(abs(target), upper, 1.0)
    for _ in range(200):
        x = v - tau
        np.clip(x, 0.0, upper, out=x)
        excess = x.sum() - target
        if abs(excess) <= 1e-13 * scale:
            break
        if excess > 0:
            low = tau
        else:
            high = tau
        n_free = np.count_nonzero((x > 0) & (x < upper))
        step = tau + excess / n_free if n_free else None
        tau = step if step is not None and low < step < high else 0.5 * (low + high)
        if high - low <= 1e-15 * max(abs(low), abs(high), 1.0):
            break
    x = v - tau
    np.clip(x, 0.0, upper, out=x)
    return x


def _linear_minimizer(g, upper, lo, hi):
    """``argmin g^T s`` over ``{0 <= s <= upper, lo <= sum(s) <= hi}``: fill
    the coordinates by increasing ``g`` (a fractional knapsack), in O(n)."""
    negative = g < 0
    n_negative = int(np.count_nonzero(negative))
    mass = min(max(upper * n_negative, lo), hi)
    if mass == upper * n_negative:  # the sum constraint does not bind
        return np.where(negative, upper, 0.0)
    n_full = min(int(mass // upper), g.size)
    s = np.zeros_like(g)
    if n_full < g.size:
        order = np.argpartition(g, n_full)  # the n_full smallest first, then the next one
        s[order[:n_full]] = upper
        s[order[n_full]] = mass - n_full * upper
    else:
        s[:] = upper
    return s


class _Stop(Exception):
    """Raised inside L-BFGS-B's objective to stop it (scipy has no other way
    that works in every supported version)."""


def solve_kmm_qp(matvec, kappa, upper, lo, hi, *, max_iter, tol, lipschitz=None):
    """Minimise ``f(b) = 1/2 b^T K b - kappa^T b`` over ``{0 <= b <= upper, lo <= sum(b) <= hi}``.

    Two phases, both stopped by the same certificate. The Frank-Wolfe gap
    ``g(b) = max_s grad f(b)^T (b - s)`` over the feasible set bounds
    ``f(b) - f*`` from above; a feasible ``b`` is accepted when
    ``g(b) <= tol * (f(b_1) - f(b))``, with ``b_1`` the projection of the
    vector of ones (the unweighted source): what is left to gain is then at
    most ``tol`` times what was gained.

    1. L-BFGS-B on the box alone: quasi-Newton steps cope with the fast
       decaying spectrum of kernel matrices far better than gradient steps,
       and the sum constraint is usually inactive (the paper's ``eps`` leaves
       the mean weight anywhere in ``(0, 2)``).
    2. If its solution breaks the sum constraint (a small ``eps``), FISTA
       with the gradient restart of O'Donoghue and Candes (2015) and the exact
       projection :func:`project_box_sum`, started from the projection of
       that solution.

    Parameters
    ----------
    matvec : callable
        ``matvec(b) -> K @ b`` for a positive semi-definite ``K``.
    kappa : ndarray of shape (n,)
    upper, lo, hi : float
        The bounds of the feasible set, assumed non-empty.
    max_iter : int
        Maximum number of gradient evaluations (products with ``K``), both
        phases together.
    tol : float
    lipschitz : float, default=None
        An upper bound of the largest eigenvalue of ``K`` (FISTA's step);
        None computes it (Lanczos) if phase 2 runs.

    Returns
    -------
    beta : ndarray of shape (n,)
        A feasible point.
    n_iter : int
        Number of gradient evaluations.
    converged : bool
    gap : float
        The duality gap at ``beta``.
    """
    from scipy.optimize import Bounds, minimize

    n = kappa.shape[0]
    n_evals = 0
    last = [None]  # the last point evaluated

    def evaluate(b):
        nonlocal n_evals
        n_evals += 1
        last[0] = b.copy()
        Kb = matvec(b)
        return 0.5 * (b @ Kb) - kappa @ b, Kb - kappa

    def gap_of(b, grad):
        return float(grad @ (b - _linear_minimizer(grad, upper, lo, hi)))

    beta = project_box_sum(np.ones(n), upper, lo, hi)
    value_ref, grad = evaluate(beta)
    # rounding floor: gaps this small relative to the terms of f are noise
    linear_term = abs(kappa @ beta)
    floor = 1e-10 * (abs(value_ref) + 2.0 * linear_term)
    gap = gap_of(beta, grad)
    if gap <= floor:
        return beta, n_evals, True, max(gap, 0.0)

    def certified(value, gap):
        return gap <= tol * max(value_ref - value, 0.0) + floor

    best = [beta, value_ref, gap]  # the best feasible point seen, its value and gap

    def objective(b):
        value, grad = evaluate(b)
        if lo <= b.sum() <= hi:
            if value < best[1]:
                best[:] = [b.copy(), value, gap_of(b, grad)]
                if certified(value, best[2]):
                    raise _Stop
        elif certified(value, float(grad @ b - upper * grad[grad < 0].sum())):
            raise _Stop  # solved on the box, outside the sum constraint: phase 2
        if n_evals >= max_iter:
            raise _Stop
        return value, grad

    x = beta
    try:
        x = minimize(
            objective, beta, jac=True, method="L-BFGS-B", bounds=Bounds(0.0, upper),
            options={"maxiter": max_iter, "maxfun": max_iter, "ftol": 0.0, "gtol": 0.0,
                     "maxcor": _MAXCOR},
        ).x
    except _Stop:
        x = None
    if certified(best[1], best[2]) or n_evals >= max_iter:
        return best[0], n_evals, certified(best[1], best[2]), best[2]

    # phase 2: the sum constraint is active (or L-BFGS-B stalled): FISTA from
    # the projection of the last point of phase 1
    if x is None:
        x = last[0]
    beta = project_box_sum(x, upper, lo, hi)
    if lipschitz is None:
        lipschitz = _largest_eigenvalue(matvec, n)
    step = 1.0 / max(lipschitz, np.finfo(float).tiny)
    y, t = beta.copy(), 1.0
    converged, n_steps = False, 0
    while n_evals < max_iter:
        n_steps += 1
        beta_new = project_box_sum(y - step * evaluate(y)[1], upper, lo, hi)
        if (y - beta_new) @ (beta_new - beta) > 0:  # momentum points uphill: restart
            t = 1.0
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        y = beta_new + ((t - 1.0) / t_new) * (beta_new - beta)
        beta, t = beta_new, t_new
        if n_steps % _CHECK_EVERY == 0 or n_evals >= max_iter - 1:
            value, grad = evaluate(beta)
            gap = gap_of(beta, grad)
            if certified(value, gap):
                converged = True
                break
    return beta, n_evals, converged, gap


# --------------------------------------------------------------------------
# kernel products


def _chunked_rows(n_rows, n_cols):
    step = max(1, _CHUNK_ENTRIES // max(n_cols, 1))
    return [(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]


def _kernel_row_sums(A, C, kernel, params):
    """``k(A, C) @ 1`` without holding more than a chunk of ``k(A, C)``."""
    sums = np.zeros(A.shape[0])
    for start, stop in _chunked_rows(C.shape[0], A.shape[0]):
        sums += kernel_matrix(A, C[start:stop], kernel, **params).sum(axis=1)
    return sums


def _kernel_block(A, C, kernel, params):
    """``k(A, C)`` as a float64 array, computed by chunks of rows of ``A``."""
    out = np.empty((A.shape[0], C.shape[0]))
    for start, stop in _chunked_rows(A.shape[0], C.shape[0]):
        out[start:stop] = kernel_matrix(A[start:stop], C, kernel, **params)
    return out


def _kernel_diagonal(X, kernel, params):
    """``k(x, x)`` for every row of ``X``."""
    if kernel == "rbf":
        return np.ones(X.shape[0])
    sq = np.einsum("ij,ij->i", X, X)
    if kernel == "linear":
        return sq
    return (params["gamma"] * sq + params["coef0"]) ** params["degree"]


def _largest_eigenvalue(matvec, n):
    """An upper bound of the largest eigenvalue of a PSD operator (Lanczos)."""
    if n <= 64:
        dense = np.column_stack([matvec(e) for e in np.eye(n)])
        return float(np.linalg.eigvalsh(0.5 * (dense + dense.T))[-1])
    v0 = np.random.default_rng(0).uniform(0.5, 1.5, size=n)  # fixed: no effect on the user's RNG
    op = LinearOperator((n, n), matvec=matvec, dtype=np.float64)
    value = eigsh(op, k=1, which="LA", v0=v0, tol=1e-6, return_eigenvectors=False)[0]
    return float(value) * (1.0 + 1e-3)  # a Ritz value is a lower bound: add a margin


class KernelMeanMatching(BaseReweighter):
    """Kernel Mean Matching: source weights that match the target's kernel mean.

    KMM (Huang et al. 2007) finds weights ``beta`` of the source rows that
    bring the weighted mean of the source rows in the feature space of a
    kernel as close as possible to the mean of the target rows, i.e. that
    minimise the squared maximum mean discrepancy (MMD) between the weighted
    source and the target, subject to ``0 <= beta <= B`` and
    ``|mean(beta) - 1| <= eps``. Fitted in front of an estimator (see
    :func:`~sktransfer.make_da_pipeline`), the weights correct a covariate
    shift: source rows that look like target rows count more.

    The quadratic programme is solved with products with the kernel matrix
    only: L-BFGS-B on the box ``0 <= beta <= B``, then, when the constraint
    on the mean binds (a small ``eps``), accelerated projected gradient
    (FISTA) with an exact projection. Up to 5000 source rows the exact
    ``n_s x n_s`` kernel is used; above that, a Nystroem approximation from
    landmark rows (with the diagonal ``k(x, x)`` kept exact), so that time
    and memory grow linearly with the number of rows.

    Parameters
    ----------
    kernel : {"rbf", "linear", "poly"}, default="rbf"
        The kernel. With ``"linear"`` only the means of the raw features are
        matched (no landmarks are needed at any size); as it has no constant
        feature, only ``eps`` then holds the total weight, and ``eps=0`` makes
        the weighted source mean equal the target mean.
    gamma : float, default=None
        Kernel coefficient of ``"rbf"`` and ``"poly"``. None uses the median
        heuristic on the source and target rows together:
        ``1 / (2 median(d)^2)`` over the pairwise distances ``d``.
    degree : int, default=3
        Degree of the ``"poly"`` kernel.
    coef0 : float, default=1.0
        Constant term of the ``"poly"`` kernel.
    B : float, default=1000.0
        Upper bound of a weight.
    eps : float, default=None
        Tolerance on the mean weight: ``|mean(beta) - 1| <= eps``. None uses
        ``(sqrt(n_s) - 1) / sqrt(n_s)`` for ``n_s`` source rows, the usual
        reading of the paper's ``eps = O(B / sqrt(n_s))`` (as in ADAPT and
        skada); it leaves the mean weight almost free in ``(0, 2)``.
    n_landmarks : "auto" or int, default="auto"
        For ``"rbf"`` and ``"poly"``: the number of landmark rows (drawn from
        both domains in proportion to their sizes) of the Nystroem
        approximation ``K ~ K_nm K_mm^+ K_mn`` (its diagonal replaced by the
        exact ``k(x, x)``: the approximation then errs less, and the
        programme is not degenerate on the ``n_s - m`` directions the
        landmarks miss). ``"auto"``: the exact kernel
        when there are at most 5000 source rows (and at most 10^8 source x
        target pairs), else 1000 landmarks. An integer at least the number
        of source and target rows also means the exact kernel.
    max_iter : int, default=1000
        Maximum number of iterations of the solver, counted as products with
        the kernel matrix (gradient evaluations).
    tol : float, default=1e-2
        The solver stops when its duality gap, an upper bound of how far the
        objective is from its optimum, is at most ``tol`` times the decrease
        of the objective from ``beta = 1``. The bound is loose (the objective
        is then typically within 0.01-0.1% of the best decrease): lower
        ``tol`` for weights that are stable to more digits.
    random_state : int, RandomState instance or None, default=None
        Draws the landmarks and the rows of the median heuristic.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weight of each fitted row: ``beta`` rescaled to mean 1 on the source
        rows (as for every reweighter), 1 on target rows. The rescaling
        divides by ``mean(beta)``, so a weight can exceed ``B`` by the factor
        ``1 / mean(beta) <= 1 / (1 - eps)``.
    beta_ : ndarray of shape (n_source,)
        The solution of the programme, before rescaling: it satisfies the
        constraints ``0 <= beta_ <= B`` and ``|mean(beta_) - 1| <= eps_``.
    eps_ : float
        The tolerance on the mean weight that was used.
    gamma_ : float or None
        Kernel coefficient used (None for the linear kernel).
    landmarks_ : ndarray of shape (n_landmarks, n_features) or None
        Landmark rows of the approximation; None with the exact kernel or the
        linear kernel.
    n_iter_ : int
        Number of solver iterations (products with the kernel matrix).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when they are all strings.

    Notes
    -----
    Time: ``O(n_s^2 d + n_s n_t d)`` to build the exact kernel terms, then
    ``O(n_s^2)`` per iteration, with ``O(n_s^2)`` memory; with ``m``
    landmarks, ``O((n_s + n_t) m d + n_s m^2 + m^3)`` once and ``O(n_s m)``
    per iteration, with ``O(n_s m)`` memory. On 50 000 + 50 000 rows of 100
    features the default (1000 landmarks) fits in about 40 s on one core
    with under 1 GB (``benchmarks/bench_kmm_scale.py``).

    The exact programme's weights are not always well determined: on
    low-dimensional data many rows are near duplicates, and weights can move
    between them at almost no cost in the objective. Compare fits by the
    weighted MMD they reach (:func:`sktransfer.metrics.mmd`) rather than
    weight by weight.

    References
    ----------
    .. [1] J. Huang, A. Gretton, K. Borgwardt, B. Schoelkopf and A. J. Smola,
       "Correcting Sample Selection Bias by Unlabeled Data", NIPS 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.reweighting import KernelMeanMatching
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(0.0, 1.0, size=(200, 1))
    >>> Xt = rng.normal(1.0, 0.5, size=(100, 1))
    >>> X, y, _ = stack_domains(Xs, np.zeros(200), Xt)
    >>> kmm = KernelMeanMatching(random_state=0).fit(X, y)
    >>> w = kmm.weights_[:200]
    >>> bool(w[Xs[:, 0] > 1].mean() > 1 > w[Xs[:, 0] < 0].mean())
    True
    """

    def __init__(self, kernel="rbf", *, gamma=None, degree=3, coef0=1.0, B=1000.0, eps=None,
                 n_landmarks="auto", max_iter=1000, tol=1e-2, random_state=None):
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.B = B
        self.eps = eps
        self.n_landmarks = n_landmarks
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _check_params(self):
        check_kernel(self.kernel)
        if self.gamma is not None and (not isinstance(self.gamma, Real) or not self.gamma > 0):
            raise ValueError(f"gamma must be a positive number or None, got {self.gamma!r}.")
        if not isinstance(self.degree, Integral) or self.degree < 1:
            raise ValueError(f"degree must be a positive integer, got {self.degree!r}.")
        if not isinstance(self.coef0, Real) or not np.isfinite(self.coef0):
            raise ValueError(f"coef0 must be a finite number, got {self.coef0!r}.")
        if not isinstance(self.B, Real) or not (0 < self.B < np.inf):
            raise ValueError(f"B must be a positive finite number, got {self.B!r}.")
        if self.eps is not None and (not isinstance(self.eps, Real) or not (0 <= self.eps < np.inf)):
            raise ValueError(f"eps must be a non-negative number or None, got {self.eps!r}.")
        if not (
            self.n_landmarks == "auto"
            or (isinstance(self.n_landmarks, Integral) and self.n_landmarks >= 1)
        ):
            raise ValueError(f"n_landmarks must be 'auto' or a positive integer, got {self.n_landmarks!r}.")
        if not isinstance(self.max_iter, Integral) or self.max_iter < 1:
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}.")
        if not isinstance(self.tol, Real) or not self.tol >= 0:
            raise ValueError(f"tol must be a non-negative number, got {self.tol!r}.")

    def _fit_weights(self, X, source, target):
        self._check_params()
        X = X.astype(np.float64, copy=False)
        Xs, Xt = X[source], X[target]
        n_s, n_t = Xs.shape[0], Xt.shape[0]
        eps = (np.sqrt(n_s) - 1.0) / np.sqrt(n_s) if self.eps is None else float(self.eps)
        lo, hi = n_s * max(1.0 - eps, 0.0), n_s * (1.0 + eps)
        if self.B * n_s < lo:
            raise ValueError(
                f"KernelMeanMatching: the constraints cannot hold together: B={self.B} "
                f"is below 1 - eps = {1.0 - eps:g}, the least mean weight allowed."
            )
        self.eps_ = eps

        self.gamma_, self.landmarks_ = None, None
        params = {}
        if self.kernel != "linear":
            rows = source | target
            self.gamma_ = float(self.gamma) if self.gamma is not None else median_heuristic_gamma(
                X[rows], self.random_state
            )
            params = {"gamma": self.gamma_}
            if self.kernel == "poly":
                params.update(degree=self.degree, coef0=self.coef0)

        if np.array_equal(source, target):
            # the fallback of fit_domains (no target rows): the source is its
            # own target, and beta = 1 matches it exactly
            self.n_iter_, self.beta_ = 0, np.ones(n_s)
            return self.beta_

        matvec, kappa = self._kernel_terms(X, Xs, Xt, source, target, params)
        beta, self.n_iter_, converged, gap = solve_kmm_qp(
            matvec, kappa, float(self.B), lo, hi, max_iter=self.max_iter, tol=self.tol,
        )
        if not converged:
            warnings.warn(
                f"KernelMeanMatching did not converge in {self.max_iter} iterations "
                f"(duality gap {gap:.3g}); increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.beta_ = beta
        return beta

    def _kernel_terms(self, X, Xs, Xt, source, target, params):
        """``matvec(b) = K b`` and ``kappa``, exact or from landmarks."""
        n_s, n_t = Xs.shape[0], Xt.shape[0]
        if self.kernel == "linear":  # K = Xs Xs^T: the features are the feature map
            mean_t = Xt.mean(axis=0)
            return (lambda b: Xs @ (Xs.T @ b)), n_s * (Xs @ mean_t)

        n_landmarks = self.n_landmarks
        n_rows = int(np.count_nonzero(source | target))
        if n_landmarks == "auto":
            exact = n_s <= _EXACT_MAX_SOURCE and n_s * n_t <= _EXACT_MAX_PRODUCT
            n_landmarks = n_rows if exact else _AUTO_LANDMARKS
        if n_landmarks >= n_rows:
            K = _kernel_block(Xs, Xs, self.kernel, params)
            kappa = (n_s / n_t) * _kernel_row_sums(Xs, Xt, self.kernel, params)
            return K.__matmul__, kappa

        rows = choose_landmarks(
            X.shape[0], n_landmarks, [source, target & ~source], self.random_state
        )
        landmarks = X[rows]
        self.landmarks_ = landmarks
        # Nystroem: K ~ Phi Phi^T with Phi = K_nm A, A = U_r diag(s_r)^(-1/2)
        values, vectors = eigh(kernel_matrix(landmarks, landmarks, self.kernel, **params))
        keep = values > _RCOND * max(values[-1], 0.0)
        A = vectors[:, keep] / np.sqrt(values[keep])
        Phi = np.empty((n_s, A.shape[1]))
        for start, stop in _chunked_rows(n_s, landmarks.shape[0]):
            Phi[start:stop] = kernel_matrix(Xs[start:stop], landmarks, self.kernel, **params) @ A
        mean_t = (_kernel_row_sums(landmarks, Xt, self.kernel, params) / n_t) @ A
        kappa = n_s * (Phi @ mean_t)
        # ... with its diagonal put back to the exact k(x, x): the residual
        # K - Phi Phi^T is positive semi-definite, and much of it sits on the
        # diagonal when the spectrum decays slowly (many features); without it
        # the programme would be degenerate on the null space of Phi^T
        diagonal = _kernel_diagonal(Xs, self.kernel, params) - np.einsum("ij,ij->i", Phi, Phi)
        np.maximum(diagonal, 0.0, out=diagonal)
        return (lambda b: Phi @ (Phi.T @ b) + diagonal * b), kappa
