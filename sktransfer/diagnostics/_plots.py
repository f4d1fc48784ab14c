"""Plots of the diagnostics (matplotlib, imported when called)."""

import numbers

from ._drift import PSI_BANDS, _psi_band


def plot_drift(report, top=10, *, ax=None):
    """Bar chart of the PSI of the most shifted features, coloured by band.

    Parameters
    ----------
    report : pandas.DataFrame
        The output of :func:`drift_report` (a ``psi`` column, features as
        the index).
    top : int, default=10
        Number of features shown, those of highest PSI.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure by default.

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sktransfer.diagnostics import drift_report, plot_drift
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(size=(200, 4)), rng.normal(1.0, 1.0, size=(200, 4))]
    >>> ax = plot_drift(drift_report(X, sample_domain=np.r_[[1] * 200, [-1] * 200]), top=3)
    >>> ax.get_title(), len(ax.patches)
    ('Most shifted features (top 3)', 3)
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is a test dependency
        raise ImportError(
            "plot_drift needs matplotlib: pip install matplotlib (or sktransfer[plot])."
        ) from None
    if not hasattr(report, "columns") or "psi" not in report.columns:
        raise ValueError("report must be the DataFrame of drift_report, with a 'psi' column.")
    if not isinstance(top, numbers.Integral) or isinstance(top, bool) or top < 1:
        raise ValueError(f"top must be an integer >= 1, got {top!r}.")
    shown = report.sort_values("psi", ascending=False, kind="stable").head(top).iloc[::-1]
    colours = {"stable": "tab:green", "moderate": "tab:orange", "significant": "tab:red"}
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.4 * len(shown) + 1.2))
    psi = shown["psi"].to_numpy(dtype=float)
    ax.barh([str(i) for i in shown.index], psi,
            color=[colours.get(_psi_band(v), "tab:gray") for v in psi])
    for bound, _ in PSI_BANDS[:-1]:
        ax.axvline(bound, color="k", linestyle=":", linewidth=1)
    ax.set_xlabel("population stability index (source -> target)")
    ax.set_title(f"Most shifted features (top {len(shown)})")
    return ax
