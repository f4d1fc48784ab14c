"""The sections of the HTML report: each builds its HTML from the report's context.

A context is the dict :func:`._html._context` makes of the checked inputs;
every user-provided string is escaped here, with :func:`._report_text.esc`.
"""

import base64
import datetime
import io
from collections.abc import Mapping

import numpy as np

from . import _plots
from ._report_text import (
    DASH,
    PAGE_CSS,
    auc_reading,
    bar_cell,
    esc,
    fmt,
    fmt_int,
    fmt_mean,
    fmt_p,
    get,
    method_text,
    psi_cell,
    trust_of,
)

_SECTIONS = (
    ("summary", "Summary"),
    ("drift", "Feature drift"),
    ("distributions", "Distributions of the most shifted features"),
    ("over_time", "Drift over time"),
    ("domain", "Domain classifier"),
    ("scores", "Model scores on source and target"),
    ("weights", "Importance weights"),
    ("estimate", "Estimated performance on the target"),
    ("notes", "Notes and how to read this report"),
)


def _figure(draw, *args, size, alt):
    """An ``<img>`` of a figure drawn by ``draw(fig, *args)``, inline as base64 PNG."""
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - matplotlib is a test dependency
        raise ImportError("the HTML report draws its figures with matplotlib: pip install matplotlib "
                          "(or sktransfer[plot]).") from None
    fig = Figure(figsize=size, dpi=100)
    draw(fig, *args)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}" '
            f'style="width:{int(size[0] * 96)}px"></figure>')


def _missing(what):
    return f'<p class="missing">Not computed: {what}</p>'


def _section(key, number, body):
    title = dict(_SECTIONS)[key]
    return f'<section id="{key}"><h2>{number}. {esc(title)}</h2>\n{body}\n</section>'


def _band_counts(drift):
    bands = ([str(b) for b in drift["band"]] if "band" in drift.columns
             else [_plots._psi_band(float(p)) for p in drift["psi"]])
    return {band: bands.count(band) for band in ("significant", "moderate", "stable", "n/a")}


def _weights_stats(weights):
    total = weights.sum()
    top = max(1, int(np.ceil(0.01 * weights.size)))
    return {
        "n": weights.size,
        "ess": float(total ** 2 / np.sum(weights ** 2)) if total > 0 else 0.0,
        "max_ratio": float(weights.max() / weights.mean()) if total > 0 else np.nan,
        "top_share": float(np.sort(weights)[::-1][:top].sum() / total) if total > 0 else np.nan,
        "top_rows": top,
        "zeros": int(np.sum(weights == 0)),
    }


def _summary(ctx):
    cards, findings = [], []
    domain, drift, est = ctx["domain"], ctx["drift"], ctx["estimate"]
    # the population shift, from the domain classifier
    if domain is not None:
        auc = float(get(domain, "auc"))
        level, meaning = auc_reading(auc)
        std = get(domain, "auc_std")
        spread = f" &plusmn; {fmt(std)}" if std is not None else ""
        cards.append(("Population shift", f"{fmt(auc)}{spread}", f"domain AUC &middot; <b>{level}</b>", meaning))
        ranking = list(get(domain, "ranking", []) or [])[:3]
        if ranking:
            findings.append(f"The domain classifier tells target from source rows with AUC {fmt(auc)} "
                            f"({level}: {meaning}). It leans most on "
                            f"{', '.join(f'<code>{esc(r)}</code>' for r in ranking)}.")
    else:
        cards.append(("Population shift", "&ndash;", "domain AUC", "not computed"))
    # feature drift, PSI bands
    if drift is not None:
        counts = _band_counts(drift)
        n = len(drift)
        na = f" &middot; {counts['n/a']} n/a" if counts["n/a"] else ""
        cards.append(("Feature drift (PSI)", f"{counts['significant']} / {counts['moderate']} / {counts['stable']}",
                      "significant / moderate / stable", f"of {n} features{na}"))
        top = drift[drift["band"] == "significant"].head(5) if "band" in drift.columns else drift.head(0)
        if len(top):
            more = counts["significant"] - len(top)
            names = ", ".join(f"<code>{esc(i)}</code> ({fmt(p, 2)})" for i, p in zip(top.index, top["psi"]))
            findings.append(f"{counts['significant']} feature(s) moved significantly (PSI &ge; 0.25): {names}"
                            f"{f' and {more} more' if more > 0 else ''}.")
        else:
            findings.append(f"No feature moved significantly (PSI &ge; 0.25); {counts['moderate']} moved "
                            "moderately (0.1 to 0.25).")
    else:
        cards.append(("Feature drift (PSI)", "&ndash;", "significant / moderate / stable", "not computed"))
    # the estimate
    if est is not None:
        score, source_score = get(est, "score"), get(est, "source_score")
        ci = ctx["ci"]
        interval = (f"{esc(ctx['confidence_text'])} interval {fmt(ci[0])} to {fmt(ci[1])}" if ci
                    else "no interval given")
        trusted, note = trust_of(est)
        flag = {True: '<span class="ok">trusted</span>', False: '<span class="bad">NOT trusted</span>',
                None: '<span class="na">trust not assessed</span>'}[trusted]
        cards.append((f"{esc(ctx['metric'])} on target (estimated)", fmt(score),
                      f"source {fmt(source_score)} &middot; {flag}", interval))
        reason = f": {esc(note.rstrip().rstrip('.'))}" if note else ""
        change = round(float(score) - float(source_score), 3)
        sign = "+" if change > 0 else ("&minus;" if change < 0 else "&plusmn;")
        findings.append(f"Estimated {esc(ctx['metric'])} on the target: {fmt(score)} against {fmt(source_score)} "
                        f"measured on source rows ({sign}{fmt(abs(change))}); "
                        f"{interval}; {flag}{reason}.")
    else:
        cards.append((f"{esc(ctx['metric'])} on target (estimated)", "&ndash;", "no estimate", "pass an estimate"))
    # the evidence: sample sizes and effective rows
    n_source, n_target = ctx["n_source"], ctx["n_target"]
    ess = ctx["ess"]
    detail = "effective rows: " + (f"{fmt(ess[0], 0)} of {fmt_int(ess[1])} ({100 * ess[0] / ess[1]:.0f}%)"
                                   if ess else "&ndash;")
    cards.append(("Sample sizes", f"{fmt_int(n_source)} &rarr; {fmt_int(n_target)}", "source rows &rarr; target rows",
                  detail))
    if ctx["characteristics"]:
        f, _, source_rate, implied, _ = max(ctx["characteristics"],
                                            key=lambda r: abs(r[3] - r[2]) if np.isfinite(r[3]) else -1)
        if np.isfinite(implied):
            findings.append(f"Of the most shifted features, <code>{esc(f)}</code> alone moves the positive "
                            f"rate most: the target's mix of its bins, at the source's rate per bin, implies "
                            f"{fmt(implied)} against {fmt(source_rate)} ({'+' if implied > source_rate else ''}"
                            f"{fmt(100 * (implied - source_rate), 1)} points; see the characteristic analysis).")
    if ctx["score_psi"] is not None:
        psi = ctx["score_psi"]
        findings.append(f"The model's score distribution moved with PSI {fmt(psi, 3)} "
                        f"({_plots._psi_band(psi)}); mean score {fmt(ctx['score_means'][0])} on source, "
                        f"{fmt(ctx['score_means'][1])} on target.")
    if ess:
        share = ess[0] / ess[1]
        findings.append(f"The importance weights are worth {fmt(ess[0], 0)} equally weighted rows of "
                        f"{fmt_int(ess[1])} ({100 * share:.0f}%)"
                        + (": the populations overlap little and any reweighted figure rests on few rows."
                           if share < 0.2 else "."))
    findings.append("Without target outcomes only a change of population is visible. A change in how the "
                    "features relate to the outcome (concept shift) is not: confirm on outcomes as they mature.")
    html_cards = "".join(
        f'<div class="card"><div class="k">{k}</div><div class="v">{v}</div><div class="s">{s}</div>'
        f'<div class="d">{d}</div></div>' for k, v, s, d in cards)
    items = "".join(f"<li>{f}</li>" for f in findings)
    return f'<div class="cards">{html_cards}</div>\n<h3>Findings</h3><ul class="findings">{items}</ul>'


def _drift_section(ctx):
    drift = ctx["drift"]
    if drift is None:
        return _missing(ctx["skipped"].get("drift", "pass <code>drift=</code>, the result of "
                                           "<code>drift_report</code>."))
    shown = drift.head(ctx["max_rows"])
    scale = max(0.5, float(np.nanmax(np.r_[shown["psi"].to_numpy(dtype=float), 0.0])))
    has = set(drift.columns)

    def cell(row, column, how):
        return how(row[column]) if column in has else "&ndash;"

    rows = []
    for name, row in shown.iterrows():
        band = str(row["band"]) if "band" in has else _plots._psi_band(float(row["psi"]))
        rows.append(
            f"<tr><td class='name'>{esc(name)}</td><td>{cell(row, 'kind', esc)}</td>"
            f"<td class='psi'>{psi_cell(float(row['psi']), scale)}</td>"
            f"<td><span class='band {esc(band).replace('/', '')}'>{esc(band)}</span></td>"
            f"<td class='num'>{cell(row, 'ks_statistic', fmt)}</td><td class='num'>{cell(row, 'ks_pvalue', fmt_p)}</td>"
            f"<td class='num'>{cell(row, 'source_mean', fmt_mean)}</td>"
            f"<td class='num'>{cell(row, 'target_mean', fmt_mean)}</td>"
            f"<td class='num'>{cell(row, 'source_missing', lambda v: fmt(100 * v, 1))}</td>"
            f"<td class='num'>{cell(row, 'target_missing', lambda v: fmt(100 * v, 1))}</td></tr>")
    rest = len(drift) - len(shown)
    more = ""
    if rest > 0:
        below = float(drift["psi"].iloc[len(shown)])
        more = f"<p class='small'>{rest} more feature(s) not shown, each with PSI &le; {fmt(below, 3)}.</p>"
    return (
        "<p class='lead'>Population stability index (PSI) of each feature from source to target, on "
        "deciles of the source, most shifted first. Bands: below 0.1 stable, 0.1 to 0.25 moderate, "
        "0.25 and above significant. The Kolmogorov&ndash;Smirnov (KS) statistic is the largest gap "
        "between the two cumulative distributions; on large samples its p-value flags even trivial "
        "differences, so read the PSI and the KS statistic as the size of the shift.</p>"
        "<table class='drift'><thead><tr><th>Feature</th><th>Kind</th><th>PSI</th><th>Band</th>"
        "<th>KS</th><th>KS p-value</th><th>Mean, source</th><th>Mean, target</th>"
        "<th>Missing % source</th><th>Missing % target</th></tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>" + more
    )


def shown_features(drift, names, top):
    """The features whose distributions are drawn: the ``top`` most shifted columns."""
    position = {n: j for j, n in enumerate(names)}
    ordered = [str(f) for f in drift.index if str(f) in position] if drift is not None else list(names)
    return ordered[:top], position


def characteristics(source, target, positive, drift, names, top):
    """Rows ``(feature, psi, source_rate, implied_rate, uncovered)`` of the shown features."""
    from ._report_characteristics import characteristic_shift

    shown, position = shown_features(drift, names, top)
    rows = []
    for f in shown:
        j = position[f]
        rates = characteristic_shift(_plots._column_values(source, j), _plots._column_values(target, j), positive)
        psi = float(drift.loc[f, "psi"]) if drift is not None else np.nan
        rows.append((f, psi, *rates))
    return rows


def _characteristics_table(rows):
    body = []
    for f, psi, source_rate, implied, uncovered in rows:
        change = 100 * (implied - source_rate)
        arrow = "&uarr;" if change > 0.05 else ("&darr;" if change < -0.05 else "")
        body.append(f"<tr><td class='name'>{esc(f)}</td><td class='num'>{fmt(psi)}</td>"
                    f"<td class='num'>{fmt(source_rate)}</td><td class='num'>{fmt(implied)}</td>"
                    f"<td class='num'>{arrow} {'+' if change > 0 else ''}{fmt(change, 1)}</td>"
                    f"<td class='num'>{fmt(100 * uncovered, 1)}</td></tr>")
    return ("<h3>Characteristic analysis</h3><p class='lead'>If the positive rate (e.g. default) within "
            "each bin of a feature stayed as in the labelled source rows, the target's mix of bins alone "
            "would move the rate from the first figure to the second. A one-feature what-if, not a "
            "forecast: features move together, and the rate within a bin can change too.</p>"
            "<table><thead><tr><th>Feature</th><th>PSI</th><th>Positive rate, source</th>"
            "<th>Implied by the target's mix</th><th>Change (points)</th><th>Target % in bins the "
            "source lacks</th></tr></thead><tbody>" + "".join(body) + "</tbody></table>")


def _distributions_section(ctx):
    source, target, drift = ctx["source"], ctx["target"], ctx["drift"]
    if source is None or target is None:
        return _missing(ctx["skipped"].get("distributions", "pass <code>source=</code> and "
                                           "<code>target=</code>, the feature tables of the two domains."))
    shown, position = shown_features(drift, ctx["feature_names"], ctx["top"])
    if not shown:
        return _missing("none of the drift report's features is a column of <code>source</code>.")
    psi = (lambda f: f"  (PSI {float(drift.loc[f, 'psi']):.2f})") if drift is not None else (lambda f: "")
    titles = [_plots._plot_label(f) + psi(f) for f in shown]
    n_rows = -(-len(shown) // min(3, len(shown)))
    figure = _figure(_plots._draw_distributions, source, target, [position[f] for f in shown], titles,
                     size=(9.0, 2.5 * n_rows), alt="Source and target distributions of the most shifted features")
    return ("<p class='lead'>Share of rows of each value range, source (filled, blue) against target "
            "(line, orange), for the features of highest PSI. Numeric features with many values are "
            "binned between the 0.5% and 99.5% quantiles of both samples; values beyond fall in the "
            "end bins.</p>" + figure
            + (_characteristics_table(ctx["characteristics"]) if ctx["characteristics"] else ""))


def _draw_over_time(fig, table, top):
    from ._periods import plot_drift_over_time

    shown = table.copy()
    shown.index = [_plots._plot_label(i) for i in shown.index]
    shown.columns = [_plots._plot_label(c, 16) for c in shown.columns]
    ax = fig.subplots()
    plot_drift_over_time(shown, top=top, ax=ax)
    ax.set_title("")
    fig.tight_layout()
    return fig


def _over_time_section(ctx):
    table = ctx["by_period"]
    periods = list(table.columns)
    shown_periods = periods[-12:]
    values = table.to_numpy(dtype=float)
    peak = np.nanmax(np.where(np.isnan(values), -np.inf, values), axis=1)
    order = np.argsort(-peak, kind="stable")[:20]
    n_rows = table.attrs.get("n_rows", {}) if hasattr(table, "attrs") else {}
    head = "".join(f"<th class='num'>{esc(p)}</th>" for p in shown_periods)
    counts = "".join(f"<td class='num small'>{fmt_int(n_rows[p]) if p in n_rows else DASH}</td>"
                     for p in shown_periods)
    rows = []
    for i in order:
        cells = "".join(
            f"<td class='num band-{_plots._psi_band(v).replace('/', '')}'>{fmt(v)}</td>"
            for v in table.iloc[i][shown_periods].to_numpy(dtype=float))
        rows.append(f"<tr><td class='name'>{esc(table.index[i])}</td>{cells}</tr>")
    figure = _figure(_draw_over_time, table, 5, size=(7.0, 3.0), alt="PSI over the target periods")
    more = (f"<p class='small'>The last 12 of {len(periods)} periods shown.</p>" if len(periods) > 12 else "")
    more += (f"<p class='small'>{len(table) - order.size} more feature(s) of lower PSI not shown.</p>"
             if len(table) > order.size else "")
    return ("<p class='lead'>The PSI of each feature in each target period against the same source "
            "bins, as a monitoring team tracks vintages. A feature that climbs period after period is a "
            "trend; one that jumps once is a break.</p>" + figure
            + f"<table><thead><tr><th>Feature</th>{head}</tr><tr><td class='small'>target rows</td>{counts}"
            "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>" + more)


def _domain_section(ctx):
    domain, drift = ctx["domain"], ctx["drift"]
    if domain is None:
        return _missing(ctx["skipped"].get("domain", "pass <code>domain=</code>, the result of "
                                           "<code>domain_classifier_auc</code>."))
    auc = float(get(domain, "auc"))
    level, meaning = auc_reading(auc)
    folds = get(domain, "fold_aucs")
    fold_text = (f" Fold AUCs: {', '.join(fmt(a) for a in np.asarray(folds, dtype=float))}."
                 if folds is not None else "")
    names = [str(n) for n in get(domain, "feature_names", []) or []]
    importances = get(domain, "importances")
    if isinstance(importances, Mapping):
        names, importances = [str(n) for n in importances], list(importances.values())
    std = get(domain, "auc_std")
    spread = f" &plusmn; {fmt(std)}" if std is not None else ""
    body = (f"<p class='lead'>A classifier trained to tell target rows from source rows, scored on rows it "
            f"did not see. AUC 0.5: the populations cannot be told apart; 1: they are separate.</p>"
            f"<p><b>AUC {fmt(auc)}</b>{spread} &mdash; {level}: {meaning}.{fold_text}</p>")
    if importances is None or not names:
        return body + _missing("the result has no feature importances.")
    importances = np.asarray(importances, dtype=float)
    errors = get(domain, "importances_std")
    errors = np.asarray(errors, dtype=float) if errors is not None else None
    if errors is None or errors.shape != importances.shape:
        errors = np.full(importances.shape, np.nan)
    order = np.argsort(-importances, kind="stable")[:10]
    scale = max(float(np.max(importances[order], initial=0.0)), 1e-12)
    rows, hidden = [], []
    for j in order:
        psi = float(drift.loc[names[j], "psi"]) if drift is not None and names[j] in drift.index else np.nan
        rows.append(f"<tr><td class='name'>{esc(names[j])}</td><td class='psi'>"
                    f"{bar_cell(importances[j], scale, '#5b6f82')}</td><td class='num'>{fmt(errors[j])}</td>"
                    f"<td class='num'>{fmt(psi)}</td></tr>")
        if importances[j] >= 0.01 and np.isfinite(psi) and psi < 0.1:
            hidden.append(names[j])
    rest = len(names) - order.size
    body += ("<table><thead><tr><th>Feature</th><th>AUC drop when permuted</th><th>&plusmn; over folds</th>"
             "<th>PSI</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    if rest > 0:
        body += f"<p class='small'>{rest} more feature(s) of lower importance not shown.</p>"
    if hidden:
        body += ("<p class='small'>Stable by PSI yet used by the classifier: "
                 + ", ".join(f"<code>{esc(h)}</code>" for h in hidden)
                 + ". Their shift shows in combination with other features, not alone.</p>")
    return body


def _scores_section(ctx):
    s, t = ctx["source_scores"], ctx["target_scores"]
    if s is None or t is None:
        return _missing(ctx["skipped"].get("scores", "pass <code>source_scores=</code> and "
                                           "<code>target_scores=</code>, the model's scores of the rows."))
    figure = _figure(_plots._draw_scores, s, t, size=(7.0, 2.8), alt="Model score distributions")
    rows = "".join(
        f"<tr><td>{side}</td><td class='num'>{fmt_int(v.size)}</td><td class='num'>{fmt(v.mean())}</td>"
        f"<td class='num'>{fmt(np.median(v))}</td><td class='num'>{fmt(np.quantile(v, 0.9))}</td></tr>"
        for side, v in (("source", s), ("target", t)))
    return ("<p class='lead'>The model's scores on the source rows it is evaluated on and on the target "
            "rows. For a probability model the mean score is the rate of the positive class (e.g. default) "
            "the model expects. The "
            "score PSI (system stability index) is the PSI of the score itself.</p>" + figure
            + "<table><thead><tr><th>Rows</th><th>n</th><th>Mean</th><th>Median</th><th>90th percentile</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
            f"<p>Score PSI {fmt(ctx['score_psi'], 3)} ({_plots._psi_band(ctx['score_psi'])}); KS "
            f"{fmt(ctx['score_ks'][0])}, p-value {fmt_p(ctx['score_ks'][1])}.</p>")


def _weights_section(ctx):
    w = ctx["weights"]
    if w is None:
        return _missing(ctx["skipped"].get("weights", "pass <code>weights=</code>, the importance weights "
                                           "of the source rows."))
    st = _weights_stats(w)
    figure = _figure(_plots._draw_weights, w, size=(7.0, 2.6), alt="Distribution of the importance weights")
    flattening = get(ctx["estimate"], "flattening") if ctx["estimate"] is not None else None
    ess_row = ""
    est_ess = get(ctx["estimate"], "effective_sample_size") if ctx["estimate"] is not None else None
    if est_ess is not None and flattening is not None and float(flattening) < 1:
        ess_row = (f"<tr><td>Effective rows of the estimate (weights flattened to w<sup>{fmt(flattening, 2)}"
                   f"</sup>)</td><td class='num'>{fmt(est_ess, 0)}</td></tr>")
    return (
        "<p class='lead'>Importance weights make the source rows look like the target population: "
        "a source row's weight is how much more typical of the target it is. Many weights near zero "
        "and a few large ones mean the populations overlap little. The effective sample size, "
        "(&Sigma;w)&sup2; / &Sigma;w&sup2;, is how many equally weighted rows the weighted rows are worth.</p>"
        + figure
        + "<table><tbody>"
        f"<tr><td>Weighted source rows</td><td class='num'>{fmt_int(st['n'])}</td></tr>"
        f"<tr><td>Effective sample size</td><td class='num'>{fmt(st['ess'], 0)} "
        f"({100 * st['ess'] / st['n']:.0f}%)</td></tr>{ess_row}"
        f"<tr><td>Largest weight / mean weight</td><td class='num'>{fmt(st['max_ratio'], 1)}</td></tr>"
        f"<tr><td>Share of the total weight on the {fmt_int(st['top_rows'])} largest (1%)</td>"
        f"<td class='num'>{fmt(100 * st['top_share'], 1)}%</td></tr>"
        f"<tr><td>Rows of weight 0</td><td class='num'>{fmt_int(st['zeros'])}</td></tr>"
        "</tbody></table>")


def _estimate_section(ctx):
    est = ctx["estimate"]
    if est is None:
        return _missing(ctx["skipped"].get("estimate", "pass <code>estimate=</code>, the result of "
                                           "<code>estimate_target_score</code>."))
    score, source_score = float(get(est, "score")), float(get(est, "source_score"))
    ci = ctx["ci"]
    trusted, note = trust_of(est)
    flag = {True: "<span class='ok'>trusted</span>", False: "<span class='bad'>NOT trusted</span>",
            None: "<span class='na'>not assessed by this estimate</span>"}[trusted]
    rows = [("Metric", esc(ctx["metric"])),
            ("Measured on the source rows (unweighted)", fmt(source_score)),
            ("Estimated on the target", f"<b>{fmt(score)}</b>"),
            ("Interval", f"{fmt(ci[0])} to {fmt(ci[1])} ({esc(ctx['confidence_text'])})" if ci else "&ndash;"),
            ("Method", method_text(get(est, "method"))[0]),
            ("Effective sample size", fmt(get(est, "effective_sample_size"), 0)),
            ("Flattening of the weights", fmt(get(est, "flattening"), 2)),
            ("Trust", flag + (f"<br><span class='small'>{esc(note)}</span>" if note else ""))]
    figure = _figure(_plots._draw_estimate, source_score, score, ci, ctx["metric"], size=(7.0, 1.6),
                     alt="Estimated target score against the source score")
    return ("<p class='lead'>The model's score on the target population, estimated without target outcomes: "
            f"{method_text(get(est, 'method'))[1]} It holds when the outcome depends on the features in the "
            "same way in both populations (covariate shift); a wide interval or few effective rows mean "
            "the estimate says little.</p>" + figure
            + "<table><tbody>" + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
            + "</tbody></table>")


def _notes_section(ctx):
    notes = "".join(f"<li>{esc(n)}</li>" for n in ctx["notes"])
    user = f"<h3>Notes</h3><ul>{notes}</ul>" if notes else ""
    return user + (
        "<h3>How to read this report</h3><ul>"
        "<li><b>PSI</b>: &Sigma; (a<sub>i</sub> &minus; e<sub>i</sub>) ln(a<sub>i</sub> / e<sub>i</sub>) over "
        "the source deciles (plus one bin of missing values), e the source shares, a the target shares. "
        "Below 0.1 stable, 0.1 to 0.25 moderate, 0.25 and above significant: the industry's bands.</li>"
        "<li><b>Domain AUC</b> (rule of thumb): below 0.6 hard to tell apart, 0.6 to 0.7 mild, 0.7 to 0.8 "
        "clear, 0.8 to 0.9 strong, 0.9 and above the populations barely overlap.</li>"
        "<li><b>Effective sample size</b>: below a fifth of the rows, a reweighted estimate rests on few "
        "rows; below a tenth, it is noise.</li>"
        "<li>Every figure here compares populations. None measures the model against target outcomes: "
        "validate on outcomes when they are known.</li></ul>")


def _page(ctx):
    from .. import __version__

    builders = {"summary": _summary, "drift": _drift_section, "distributions": _distributions_section,
                "over_time": _over_time_section,
                "domain": _domain_section, "scores": _scores_section, "weights": _weights_section,
                "estimate": _estimate_section, "notes": _notes_section}
    keys = [key for key, _ in _SECTIONS if key != "over_time" or ctx["by_period"] is not None]
    sections = [_section(key, k + 1, builders[key](ctx)) for k, key in enumerate(keys)]
    toc = " &middot; ".join(f'<a href="#{key}">{esc(dict(_SECTIONS)[key])}</a>' for key in keys[1:])
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(ctx['title'])}</title><style>{PAGE_CSS}</style></head><body><main>"
        f"<header><h1>{esc(ctx['title'])}</h1><p class='small'>Source (reference) population against target "
        f"population &middot; generated {stamp} by sktransfer {esc(__version__)}</p>"
        f"<nav>{toc}</nav></header>\n" + "\n".join(sections) + "</main></body></html>\n")
