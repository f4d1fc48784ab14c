"""Plots of the diagnostics (matplotlib, imported when called)."""

import numbers

import numpy as np

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


# --- the figures of the HTML report ---------------------------------------------------------
# Each _draw_* function draws into a given matplotlib Figure (made without pyplot by the
# report, so that building a report never touches pyplot's global state or the backend).

SOURCE_COLOUR, TARGET_COLOUR = "#1f4e79", "#c55a11"
_BAND_COLOURS = {"stable": "#4d8a3a", "moderate": "#d9a400", "significant": "#b52a2a"}
_MAX_PLOT_ROWS = 200_000  # rows per domain a distribution plot reads (an even subsample past it)


def _plot_label(name, width=32):
    """A feature name as matplotlib text: control characters escaped, ``$`` not
    read as mathtext, long names cut."""
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in str(name))
    if len(text) > width:
        text = text[: width - 1] + "\u2026"
    return text.replace("$", r"\$")


def _even_subsample(values, limit=_MAX_PLOT_ROWS):
    if len(values) <= limit:
        return values
    return values[np.linspace(0, len(values) - 1, limit).astype(np.int64)]


def _column_values(data, j):
    if hasattr(data, "iloc"):
        return data.iloc[:, j].to_numpy()
    if hasattr(data, "tocsc"):
        return data.tocsc()[:, [j]].toarray().ravel()
    return np.asarray(data)[:, j]


def _draw_distribution(ax, s, t, title):
    """Source against target shares of one feature: bars for few distinct values
    or categories, step histograms on common bins otherwise."""
    from matplotlib.ticker import EngFormatter, MaxNLocator

    from ._columns import _MISSING, _as_numeric, _category_key

    s, t = _even_subsample(np.asarray(s)), _even_subsample(np.asarray(t))
    s_num, t_num = _as_numeric(s), _as_numeric(t)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    if s_num is not None and t_num is not None:
        s_ok, t_ok = s_num[np.isfinite(s_num)], t_num[np.isfinite(t_num)]
        distinct = np.unique(np.r_[s_ok[:5000], t_ok[:5000]])
        if s_ok.size == 0 or t_ok.size == 0:
            ax.text(0.5, 0.5, "no values in one domain", ha="center", va="center", transform=ax.transAxes)
            return
        if distinct.size > 12:
            both = np.r_[s_ok, t_ok]
            lo, hi = np.quantile(both, [0.005, 0.995])
            if not hi > lo:
                lo, hi = float(both.min()), float(both.max()) + 1.0
            if np.all(both == np.round(both)):  # whole numbers (ages, counts): bins on whole numbers
                step = max(1.0, np.ceil((hi - lo) / 30))
                edges = np.arange(np.floor(lo) - 0.5, hi + step, step)
            else:
                edges = np.linspace(lo, hi, 31)
            for values, colour, label in ((s_ok, SOURCE_COLOUR, "source"), (t_ok, TARGET_COLOUR, "target")):
                counts, _ = np.histogram(np.clip(values, lo, hi), bins=edges)
                ax.stairs(counts / values.size, edges, color=colour, linewidth=1.4, label=label,
                          fill=label == "source", alpha=0.35 if label == "source" else 1.0)
            ax.set_ylabel("share of rows", fontsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.xaxis.set_major_formatter(EngFormatter(sep=""))
            return
        s_keys, t_keys = list(s_ok), list(t_ok)
        categories = sorted(set(s_keys) | set(t_keys))
        labels = [f"{c:g}" for c in categories]
    else:
        s_keys = ["(missing)" if _category_key(v) is _MISSING else str(v) for v in s]
        t_keys = ["(missing)" if _category_key(v) is _MISSING else str(v) for v in t]
        counts = {}
        for k in s_keys + t_keys:
            counts[k] = counts.get(k, 0) + 1
        categories = sorted(counts, key=lambda k: -counts[k])
        if len(categories) > 10:  # the nine most frequent, the rest pooled
            keep = set(categories[:9])
            s_keys = [k if k in keep else "(other)" for k in s_keys]
            t_keys = [k if k in keep else "(other)" for k in t_keys]
            categories = categories[:9] + ["(other)"]
        labels = [_plot_label(c, 12) for c in categories]
    index = {c: i for i, c in enumerate(categories)}
    x = np.arange(len(categories))
    for keys, colour, label, shift in ((s_keys, SOURCE_COLOUR, "source", -0.2),
                                       (t_keys, TARGET_COLOUR, "target", 0.2)):
        shares = np.bincount([index[k] for k in keys], minlength=len(categories)) / max(len(keys), 1)
        ax.bar(x + shift, shares, width=0.4, color=colour, label=label)
    crowded = len(categories) > 6 and max(len(label) for label in labels) > 2
    ax.set_xticks(x, labels, rotation=90 if crowded else 0)
    ax.set_ylabel("share of rows", fontsize=7)


def _draw_distributions(fig, source, target, columns, titles):
    """Small multiples of :func:`_draw_distribution`, three to a row."""
    n = len(columns)
    n_cols = min(3, n)
    n_rows = -(-n // n_cols)
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k >= n:
            ax.set_visible(False)
            continue
        _draw_distribution(ax, _column_values(source, columns[k]), _column_values(target, columns[k]), titles[k])
    axes[0, 0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def plot_distributions(source, target, report=None, top=6, *, feature_names=None, fig=None):
    """Source against target distributions of the most shifted features.

    Numeric features with more than 12 distinct values get histograms on
    common bins (shares of rows, between the 0.5% and 99.5% quantiles of
    both samples; values beyond fall in the end bins); the others, and
    categorical features, get the share of each value side by side (the
    nine most frequent categories, the rest pooled). Past 200 000 rows per
    domain, an even subsample of the rows is drawn.

    Parameters
    ----------
    source, target : array-like of shape (n_rows, n_features), or DataFrame
        The two samples, with the same features.
    report : pandas.DataFrame, default=None
        The :func:`drift_report` of the two samples; the features are
        taken in its order (most shifted first) and titled with their PSI.
        None: computed here.
    top : int, default=6
        Number of features drawn.
    feature_names : list of str, default=None
        Names of the columns of array inputs (default: the DataFrame's
        columns, or ``x0, x1, ...``).
    fig : matplotlib Figure, default=None
        Where to draw; a new figure by default.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sktransfer.diagnostics import plot_distributions
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_distributions(rng.normal(size=(300, 3)), rng.normal(1.0, 1.0, size=(300, 3)), top=2)
    >>> len([ax for ax in fig.axes if ax.get_visible()])
    2
    """
    from ._columns import _feature_names
    from ._drift import drift_report

    if not isinstance(top, numbers.Integral) or isinstance(top, bool) or top < 1:
        raise ValueError(f"top must be an integer >= 1, got {top!r}.")
    if not hasattr(source, "shape"):
        source = np.asarray(source)
    if not hasattr(target, "shape"):
        target = np.asarray(target)
    if len(source.shape) != 2 or len(target.shape) != 2 or source.shape[1] != target.shape[1]:
        raise ValueError(
            "source and target must be 2-D (rows x features) with the same features, got shapes "
            f"{tuple(source.shape)} and {tuple(target.shape)}."
        )
    names = _feature_names(source, feature_names, source.shape[1])
    if report is None:
        from .._domain import stack_domains

        X, _, sd = stack_domains(source, np.zeros(len(source), dtype=int), target)
        report = drift_report(X, sample_domain=sd, feature_names=names)
    if not hasattr(report, "columns") or "psi" not in report.columns:
        raise ValueError("report must be the DataFrame of drift_report, with a 'psi' column.")
    position = {n: j for j, n in enumerate(names)}
    shown = [str(f) for f in report.index if str(f) in position][:top]
    if not shown:
        raise ValueError("none of the report's features is a column of source and target.")
    titles = [f"{_plot_label(f)}  (PSI {float(report.loc[f, 'psi']):.2f})" for f in shown]
    if fig is None:
        try:
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover - matplotlib is a test dependency
            raise ImportError("plot_distributions needs matplotlib: pip install matplotlib.") from None
        n_rows = -(-len(shown) // min(3, len(shown)))
        fig = plt.figure(figsize=(9, 2.6 * n_rows))
    return _draw_distributions(fig, source, target, [position[f] for f in shown], titles)


def _draw_scores(fig, source_scores, target_scores):
    ax = fig.subplots()
    both = np.r_[source_scores, target_scores]
    lo, hi = float(np.min(both)), float(np.max(both))
    if 0.0 <= lo and hi <= 1.0:
        lo, hi = 0.0, 1.0
    elif not hi > lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, 41)
    for values, colour, label in ((source_scores, SOURCE_COLOUR, "source"), (target_scores, TARGET_COLOUR, "target")):
        counts, _ = np.histogram(values, bins=edges)
        ax.stairs(counts / max(len(values), 1), edges, color=colour, linewidth=1.4, label=label,
                  fill=label == "source", alpha=0.35 if label == "source" else 1.0)
    ax.set_xlabel("model score (predicted probability of the positive class)", fontsize=8)
    ax.set_ylabel("share of rows", fontsize=8)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def _draw_weights(fig, weights):
    ax = fig.subplots()
    positive = weights[weights > 0]
    if positive.size:
        lo, hi = float(positive.min()), float(positive.max())
        if not hi > lo:
            lo, hi = lo / 2, hi * 2
        ax.hist(positive, bins=np.geomspace(lo, hi, 41), color="#5b6f82")
        ax.set_xscale("log")
    ax.axvline(1.0, color="k", linestyle=":", linewidth=1)
    ax.set_xlabel("importance weight of a source row (log scale; dotted: 1)", fontsize=8)
    ax.set_ylabel("source rows", fontsize=8)
    fig.tight_layout()
    return fig


def _draw_estimate(fig, source_score, score, ci, label):
    ax = fig.subplots()
    ax.plot([source_score], [1], "o", color=SOURCE_COLOUR)
    ax.plot([score], [0], "o", color=TARGET_COLOUR)
    if ci is not None:
        ax.hlines(0, ci[0], ci[1], color=TARGET_COLOUR, linewidth=3, alpha=0.6)
    ax.set_yticks([0, 1], ["estimated on target", "measured on source"], fontsize=8)
    ax.set_ylim(-0.6, 1.6)
    values = [v for v in (source_score, score, *(ci or ())) if np.isfinite(v)]
    if values:
        pad = max(0.02, 0.15 * (max(values) - min(values)))
        ax.set_xlim(min(values) - pad, max(values) + pad)
    ax.set_xlabel(_plot_label(label, 60), fontsize=8)
    ax.grid(axis="x", linewidth=0.4, alpha=0.5)
    fig.tight_layout()
    return fig
