"""The printed report of ``sktransfer diagnose`` and its HTML report."""

import numpy as np

from ._text import CommandError, escape, label_text, names, quoted

TOP_FEATURES = 15
MAX_PERIOD_COLUMNS = 12


def print_report(result, drift, by_period, source, target, out, *, edge_sample, max_classifier_features):
    inputs, outcome = result["inputs"], result["outcome"]
    s_info, t_info = inputs["source"], inputs["target"]
    categorical = result["features"]["categorical"]
    print(f"sktransfer diagnose: {s_info['rows']} source rows, {t_info['rows']} target rows, "
          f"{len(result['features']['used'])} features ({len(categorical)} categorical); outcome "
          f"{quoted(outcome['column'])}, positive class {quoted(outcome['positive'])} "
          f"(of {', '.join(quoted(c) for c in outcome['classes'])}; --positive to choose)", file=out)
    print(f"separators: source {source.describe_sep()}, target {target.describe_sep()}", file=out)
    left_out = []
    if result["features"]["id"]:
        left_out.append(f"id column {quoted(result['features']['id'])}")
    if result["features"]["dropped"]:
        left_out.append(f"dropped {names(result['features']['dropped'])}")
    if left_out:
        print("left out of the features: " + "; ".join(left_out), file=out)
    if s_info["sampled"] or t_info["sampled"]:
        print(f"sample for the domain classifier and the models: {s_info['sampled_rows']:,} of "
              f"{s_info['rows']:,} source rows (stratified by outcome), {t_info['sampled_rows']:,} of "
              f"{t_info['rows']:,} target rows; the drift table uses every row", file=out)

    print("\nDrift per feature (PSI bands: < 0.1 stable, < 0.25 moderate, else significant)\n", file=out)
    shown = drift.head(TOP_FEATURES)[["psi", "band", "ks_statistic", "source_mean", "target_mean"]].copy()
    shown.index = [escape(c) for c in shown.index]
    shown.index.name = "feature"
    print(shown.to_string(float_format=lambda v: f"{v:.3f}"), file=out)
    if len(drift) > TOP_FEATURES:
        print(f"... and {len(drift) - TOP_FEATURES} more features", file=out)
    if result["drift_method"] == "streaming":
        bound = np.nanmax(drift["ks_error_bound"].to_numpy(dtype=float)) if "ks_error_bound" in drift else np.nan
        print(f"(streamed over every row: PSI bins on the source deciles of a {edge_sample:,}-row sample; "
              f"KS from fine histograms, off by at most {bound:.4f})", file=out)
    if by_period is not None:
        _print_periods(by_period, drift, out)

    domain = result["domain_classifier"]
    used = ""
    if domain["features_used"] < domain["features_total"]:
        used = f" (on the columns of the {max_classifier_features} most drifted features)"
    print(f"\nDomain classifier AUC (0.5: the domains look alike): {domain['auc']:.3f}{used}; "
          f"features that drive it: {names(domain['ranking'][:3])}", file=out)

    has_target = any("target_auc" in r for r in result["models"])
    print("\nModels (logistic regression), trained on 70% of the source rows", file=out)
    with_ci = any(r.get("ci_low") is not None for r in result["models"])
    header = f"{'model':22s} {'source AUC':>10s} {'est. target AUC':>15s}"
    if with_ci:
        header += f" {'interval':>13s}"
    if has_target:
        header += f" {'target AUC':>10s} {'target Gini':>11s} {'target KS':>9s}"
    print(header, file=out)
    for r in result["models"]:
        line = f"{r['name']:22s} {r['source_auc']:10.3f} {r['estimated_target_auc']:15.3f}"
        if with_ci:
            ci = f"{r['ci_low']:.3f}-{r['ci_high']:.3f}" if r.get("ci_low") is not None else "-"
            line += f" {ci:>13s}"
        if has_target:
            if "target_auc" in r:
                line += f" {r['target_auc']:10.3f} {r['target_gini']:11.3f} {r['target_ks']:9.3f}"
            else:
                line += f" {'n/a':>10s} {'n/a':>11s} {'n/a':>9s}"
        print(line, file=out)
    weights = result["weights"]
    print(f"\nimportance weights: effective sample size {weights['effective_sample_size']:.0f} "
          f"of {weights['rows']} training rows", file=out)
    print(f"source AUC: held-out source rows. est. target AUC: the same rows weighted by the "
          f"density ratio (no target label used), flattened to w ** {weights['flattening']:.2f} so that "
          "they count for at least half the rows.", file=out)
    if has_target:
        which = "the sampled target rows" if t_info["sampled"] else "the target file"
        print(f"target AUC/Gini/KS: from the labels of {which}, used for this report only.", file=out)
    for note in result["warnings"]:
        print(f"warning: {note}", file=out)


def _print_periods(by_period, drift, out):
    periods = list(by_period.columns)
    shown = periods[-MAX_PERIOD_COLUMNS:]
    table = by_period.loc[list(drift.index[:TOP_FEATURES]), shown].copy()
    table.index = [escape(c) for c in table.index]
    table.columns = [escape(label_text(p)) for p in shown]
    print(f"\nPSI by target period ({len(periods)} periods"
          + (f", the last {len(shown)} shown" if len(shown) < len(periods) else "") + ")\n", file=out)
    print(table.to_string(float_format=lambda v: f"{v:.3f}"), file=out)


def html_function():
    from .. import diagnostics

    render = getattr(diagnostics, "render_html_report", None)
    if render is None:
        try:
            from ..diagnostics._html import render_html_report as render
        except ImportError:
            render = None
    if render is None:
        raise CommandError(
            "--html needs sktransfer.diagnostics.render_html_report, which this version of "
            "sktransfer does not have yet; run without --html"
        )
    return render


def write_html(path, result, drift, by_period, extras, source, target):
    render = html_function()
    inputs = result["inputs"]
    notes = [
        (f"Source file {inputs['source']['path']} ({inputs['source']['rows']:,} rows), target file "
        f"{inputs['target']['path']} ({inputs['target']['rows']:,} rows); outcome "
        f"{result['outcome']['column']!r}, positive class {result['outcome']['positive']!r}."),
        f"Drift table: {result['drift_method']} over every row. Domain classifier, weights and model: "
        f"{inputs['source']['sampled_rows']:,} source and {inputs['target']['sampled_rows']:,} target rows"
        + (" (samples)." if inputs["source"]["sampled"] or inputs["target"]["sampled"] else "."),
        ("Model: logistic regression trained on 70% of the source rows (source only); its scores are "
        "drawn on the other 30% and on the target rows."),
    ]
    for r in result["models"]:
        notes.append(f"{r['name']}: source AUC {r['source_auc']:.3f}, estimated target AUC "
                     f"{r['estimated_target_auc']:.3f}"
                     + (f", target AUC {r['target_auc']:.3f} (from the target file's labels)"
                        if r.get("target_auc") is not None else "") + ".")
    notes += [f"Warning: {w}" for w in result["warnings"]]
    if by_period is not None:
        notes.append("PSI by period: " + "; ".join(
            f"{escape(p)}: max {by_period[p].max():.3f}" for p in by_period.columns))
    try:
        render(
            path, drift=drift, domain=extras["domain"], estimate=extras["estimate"],
            source_scores=extras["source_scores"], target_scores=extras["target_scores"],
            weights=extras["weights"], source=source, target=target, notes=notes,
            n_source=inputs["source"]["rows"], n_target=inputs["target"]["rows"],
        )
    except OSError as exc:
        raise CommandError(f"cannot write the HTML report {escape(path)}: {escape(exc)}") from None
