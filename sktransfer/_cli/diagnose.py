"""The ``sktransfer diagnose`` command: drift report, domain classifier and
source-only vs importance-weighted comparison on two delimited text files.

Stages: a pass over the source file (checks, a sample stratified by outcome),
a pass over the target file (checks, a sample, histograms on bins set by the
source sample), a second pass over the source file for its histograms when
it did not fit in its sample; then the domain classifier and the models on
the samples. Memory holds the samples and the histograms, not the files.
"""

import argparse
import sys
import warnings

import numpy as np

from ._json import SCHEMA, dumps
from ._output import TOP_FEATURES, html_function, print_report, write_html
from ._progress import Progress
from ._reading import TableFile, parse_sep
from ._scan import (
    MAX_LEVELS,
    MAX_MAGNITUDE,
    MIN_MAGNITUDE,
    FileChunks,
    drift_tables,
    scan,
)
from ._text import CommandError, escape, label_text, names, quoted

_DEFAULT_SAMPLE = 20_000
#: rows per domain of the sample that sets the PSI bins and the KS grid (drift_report's default)
_EDGE_SAMPLE = 100_000
_MIN_CLASS_ROWS = 10
_MIN_TARGET_ROWS = 10
#: the domain classifier's permutation importances cost one prediction per feature:
#: beyond this many features it runs on the most drifted ones
_MAX_CLASSIFIER_FEATURES = 100
_OVERLAP_AUC = 0.9
_MIN_ESS_FRACTION = 0.3

_EPILOG = f"""\
files: delimited text (.csv, .tsv, .txt, optionally .gz/.bz2/.xz) with a header row.
  The separator is detected (comma, semicolon, tab, pipe) unless --sep is given.
  Read with pyarrow when it is installed (fast), else with pandas in chunks.

large files: each file is parsed once (its numbers spilled to a scratch file);
  the drift table comes from histograms over every row (PSI bins set on a
  100,000-row sample of the source, KS on fine histograms with an error bound,
  as drift_report streams); the domain classifier and the models run on a
  sample of --sample rows per file (stratified by outcome in the source, by
  period in the target). Sample sizes are printed.

--json: one JSON document on stdout, schema "{SCHEMA}" (user guide page
  "The sktransfer diagnose command"): schema, inputs, outcome, features,
  drift_method, drift, drift_by_period, domain_classifier, models, weights,
  warnings.

exit status: 0 on success, 2 on a problem with the files or the options (one
  line on stderr).
"""


def add_parser(commands):
    parser = commands.add_parser(
        "diagnose",
        help="drift report and source-only vs adapted model on SOURCE.csv and TARGET.csv",
        description="Compare two tables with the same columns: per-feature drift (PSI, KS), "
        "a domain classifier's AUC, and a classifier trained on the source rows with and "
        "without importance weighting toward the target rows. Target labels, if the "
        "target file has them, are used only to report the true target score.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", metavar="SOURCE.csv", help="labelled source rows")
    parser.add_argument("target", metavar="TARGET.csv", help="target rows (labels optional)")
    parser.add_argument("--target", dest="label", required=True, metavar="COLUMN",
                        help="the column holding the outcome (two values: numbers or text)")
    parser.add_argument("--positive", metavar="LABEL",
                        help="the outcome counted as positive (default: the larger number, or the "
                        "text value that sorts last)")
    parser.add_argument("--sep", metavar="CHAR",
                        help="the separator of both files: one character, or comma, semicolon, "
                        "tab, pipe (default: detected in each file)")
    parser.add_argument("--drop", nargs="+", default=[], metavar="COLUMN",
                        help="columns left out of the features")
    parser.add_argument("--id", dest="id_column", metavar="COLUMN",
                        help="a row identifier: left out of the features and named in the report")
    parser.add_argument("--period", metavar="COLUMN",
                        help="a column of the target file naming each row's period (vintage, "
                        "month): adds a PSI-by-period table")
    parser.add_argument("--sample", type=_sample_size, default=_DEFAULT_SAMPLE, metavar="N",
                        help="rows per file for the domain classifier and the models, a sample "
                        "stratified by outcome (source) or period (target); 0: every row "
                        "(default: %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help=f"print one JSON document (schema {SCHEMA}) instead of the report")
    parser.add_argument("--html", metavar="PATH",
                        help="also write a self-contained HTML report to PATH")
    parser.add_argument("--progress", action="store_true",
                        help="print the stages on stderr even when it is not a terminal")
    parser.add_argument("--random-state", type=int, default=0,
                        help="seed of every random step: the same seed prints the same report "
                        "(default: %(default)s)")
    parser.set_defaults(run=run)
    return parser


def _sample_size(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value != 0 and value < 100:
        raise argparse.ArgumentTypeError(f"must be 0 (every row) or at least 100, got {text!r}")
    return value


def run(args, out=None):
    out = out or sys.stdout
    try:
        return _run(args, out)
    except CommandError as exc:
        print(f"sktransfer diagnose: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("sktransfer diagnose: error: out of memory; pass a smaller --sample", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sktransfer diagnose: interrupted", file=sys.stderr)
        return 130


# ---- columns and outcome --------------------------------------------------------------


def _columns(args, source, target):
    label = args.label
    if label not in source.columns:
        hint = ""
        if len(source.columns) == 1:
            hint = (f"; the file was read as one column with the {source.describe_sep()} separator: "
                    "pass --sep")
        raise CommandError(
            f"the target column {quoted(label)} is not in the source file "
            f"(columns: {names(source.columns, 20)}){hint}"
        )
    left_out = list(args.drop) + ([args.id_column] if args.id_column else [])
    for column in left_out:
        if column not in source.columns and column not in target.columns:
            raise CommandError(f"--drop/--id column {quoted(column)} is in neither file")
    if args.period is not None:
        if args.period not in target.columns:
            raise CommandError(f"--period column {quoted(args.period)} is not in the target file")
        if args.period == label:
            raise CommandError("--period cannot be the outcome column")
    excluded = set(left_out) | {label, args.period}
    features = [c for c in source.columns if c not in excluded]
    missing = [c for c in features if c not in target.columns]
    extra = [c for c in target.columns if c not in source.columns and c not in excluded]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing from the target file: {names(missing)}")
        if extra:
            parts.append(f"only in the target file: {names(extra)}")
        raise CommandError("the two files need the same feature columns; " + "; ".join(parts)
                           + " (leave a column out with --drop)")
    if not features:
        raise CommandError("no feature columns besides the target column")
    return features


def _kinds(source, target, features, label, period):
    s_kinds, s_examples = source.first_kinds()
    t_kinds, t_examples = target.first_kinds()
    for kinds in (s_kinds, t_kinds):
        for c, kind in kinds.items():
            if kind == "empty":  # empty in the first rows: the other file's kind, else numbers
                other = t_kinds if kinds is s_kinds else s_kinds
                kinds[c] = other.get(c) if other.get(c) not in (None, "empty") else "numeric"
    for c in features:
        if s_kinds[c] != t_kinds[c]:
            text_file, example = ("source", s_examples[c]) if s_kinds[c] == "text" else ("target", t_examples[c])
            number_file = "target" if text_file == "source" else "source"
            raise CommandError(
                f"column {quoted(c)} holds numbers in the {number_file} file and text in the "
                f"{text_file} file (e.g. {quoted(example)}): make the two files agree, or drop it "
                f"with --drop {escape(c)}"
            )
    kinds = {c: s_kinds[c] for c in features}
    source_kinds = dict(kinds, **{label: s_kinds[label]})
    target_kinds = dict(kinds)
    if label in target.columns:
        target_kinds[label] = t_kinds[label]
    if period is not None:
        target_kinds[period] = "text"
    return kinds, source_kinds, target_kinds


def _canonical(labels, kind):
    """Outcome labels as text, the way :func:`label_text` writes them (``1``
    for 1.0), missing values kept missing: the two files' labels compare
    whether they were read as numbers or as text."""
    return labels.map({v: _canonical_value(v, kind) for v in labels.dropna().unique()})


def _canonical_value(value, kind):
    if kind == "numeric":
        return label_text(value)
    try:  # text that is a number ("1.0" in one file, 1 in the other) reads as that number
        return label_text(float(value))
    except (TypeError, ValueError):
        return escape(str(value).strip())


def _positive(args, classes, numeric):
    if args.positive is None:
        return classes[-1]
    wanted = args.positive.strip()
    if wanted in classes:
        return wanted
    try:
        as_number = label_text(float(wanted))
    except ValueError:
        as_number = None
    if as_number in classes:
        return as_number
    raise CommandError(
        f"--positive {quoted(args.positive)} is not an outcome of the source file; its outcomes are "
        f"{', '.join(quoted(c) for c in classes)}"
    )


def _check_scan(result, table, kinds, args):
    role = table.role
    for c, n in result.missing.items():
        if n == result.n_rows:
            raise CommandError(
                f"column {quoted(c)} has no value in the {role} file (empty on all {result.n_rows} rows): "
                f"drop it with --drop {escape(c)}"
            )
    for c, largest in result.largest.items():
        if largest > MAX_MAGNITUDE or 0 < largest < MIN_MAGNITUDE:
            raise CommandError(
                f"column {quoted(c)} of the {role} file holds values of magnitude up to {largest:.0e}, "
                f"out of the supported range {MIN_MAGNITUDE:.0e} to {MAX_MAGNITUDE:.0e}: divide it by a "
                f"constant or take its log, or drop it with --drop {escape(c)}"
            )
    for c, levels in result.levels.items():
        if c in kinds and len(levels) > MAX_LEVELS:
            raise CommandError(
                f"column {quoted(c)} is not numeric and has more than {MAX_LEVELS} distinct values in the "
                f"{role} file: too many to one-hot encode; if it identifies rows pass --id {escape(c)}, "
                f"else drop it (--drop {escape(c)}) or encode it as numbers"
            )
    if result.id_like:
        c = result.id_like[0]
        raise CommandError(
            f"column {quoted(c)} of the {role} file looks like a row identifier (a distinct whole "
            f"number on every row): as a feature it would only tell the files apart; pass "
            f"--id {escape(c)} (or --drop {escape(c)}), or rename it if it is a real feature"
        )


# ---- the command ----------------------------------------------------------------------


def _run(args, out):
    try:
        import pandas as pd  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        raise CommandError("'sktransfer diagnose' reads files with pandas: pip install pandas") from None
    sep = parse_sep(args.sep)
    if args.html is not None:
        html_function()  # fail before the work, not after
    progress = Progress(enabled=True if args.progress else None)
    rng = np.random.default_rng(args.random_state)
    source = TableFile(args.source, "source", sep)
    target = TableFile(args.target, "target", sep)
    features = _columns(args, source, target)
    label, period = args.label, args.period
    kinds, source_kinds, target_kinds = _kinds(source, target, features, label, period)
    sample_size = args.sample or np.iinfo(np.int64).max
    spills = []
    try:
        return _diagnose(args, out, source, target, features, kinds, source_kinds, target_kinds,
                         sample_size, progress, rng, spills)
    finally:
        for spill in spills:
            if spill is not None:
                spill.remove()


def _diagnose(args, out, source, target, features, kinds, source_kinds, target_kinds, sample_size,
              progress, rng, spills):
    label, period = args.label, args.period
    numeric = [c for c in features if kinds[c] == "numeric"]
    categorical = [c for c in features if kinds[c] == "text"]
    progress.stage(f"reading the source file {escape(source.path)}")
    s_cols = features + [label]
    s = scan(source, source_kinds, s_cols, features, strata=label, sample_size=sample_size, rng=rng,
             progress=progress, forbid_missing={label: "outcome"}, spill=features)
    spills.append(s.spill)
    _check_scan(s, source, kinds, args)
    label_numeric = source_kinds[label] == "numeric"
    counts = {}
    for value, n in s.strata_counts.items():
        key = _canonical_value(value, source_kinds[label])
        counts[key] = counts.get(key, 0) + n
    classes = sorted(counts, key=(lambda c: float(c)) if label_numeric else None)
    if len(classes) != 2:
        shown = ", ".join(quoted(c) for c in classes[:5])
        raise CommandError(
            f"the target column {quoted(label)} must hold two outcomes; it holds {len(classes)} "
            f"({shown}{', ...' if len(classes) > 5 else ''})"
        )
    positive = _positive(args, classes, label_numeric)
    s.strata_counts = counts
    small = [c for c in classes if s.strata_counts[c] < _MIN_CLASS_ROWS]
    if small:
        counts = ", ".join(f"{s.strata_counts[c]} {quoted(c)}" for c in classes)
        raise CommandError(
            f"the source file has {s.n_rows} rows ({counts}): diagnose needs at least "
            f"{_MIN_CLASS_ROWS} rows of each outcome"
        )

    progress.stage(f"reading the target file {escape(target.path)}")
    t_cols = features + [c for c in (label, period) if c is not None and c in target.columns]
    t = scan(target, target_kinds, t_cols, features, strata=period, sample_size=sample_size, rng=rng,
             progress=progress, forbid_missing={period: "--period"} if period else None,
             spill=features + ([period] if period else []))
    spills.append(t.spill)
    _check_scan(t, target, kinds, args)
    if t.n_rows < _MIN_TARGET_ROWS:
        raise CommandError(f"the target file has {t.n_rows} rows: diagnose needs at least {_MIN_TARGET_ROWS}")
    y_target, known = None, None
    if label in target.columns:
        t_labels = _canonical(t.sample[label], target_kinds[label])
        known = t_labels.notna().to_numpy()
        unknown = set(t_labels[known]) - set(classes)
        if unknown:
            raise CommandError(
                f"the target file's {quoted(label)} holds outcomes the source does not: "
                f"{', '.join(quoted(v) for v in sorted(unknown)[:5])} (the source's: "
                f"{', '.join(quoted(c) for c in classes)})"
            )
        if known.any():
            y_target = (t_labels.to_numpy() == positive).astype(int)

    progress.stage("drift statistics (two passes over the rows)")
    drift, by_period = _drift(source, target, s, t, source_kinds, target_kinds, features, period, progress)
    exact = drift.attrs["method"] == "exact"

    result = {
        "schema": SCHEMA,
        "inputs": {
            "source": _file_info(source, s),
            "target": _file_info(target, t),
        },
        "outcome": {
            "column": label, "positive": positive, "classes": classes,
            "source_counts": {c: s.strata_counts[c] for c in classes},
            "target_labelled_rows": int(known.sum()) if y_target is not None else 0,
        },
        "features": {"used": features, "categorical": categorical, "dropped": list(args.drop),
                     "id": args.id_column, "period": period},
        "drift_method": "exact" if exact else "streaming",
        "drift": [dict(feature=f, **row) for f, row in drift.to_dict("index").items()],
        "drift_by_period": None if by_period is None else {
            "periods": [label_text(p) for p in by_period.columns],
            "psi": {f: by_period.loc[f].tolist() for f in drift.index},
        },
        "warnings": [],
    }
    y_source = (_canonical(s.sample[label], source_kinds[label]).to_numpy() == positive).astype(int)
    extras = _models(result, s.sample, t.sample, y_source, y_target, known, features, numeric,
                     categorical, drift, args, progress)
    if args.html is not None:
        progress.stage(f"writing the HTML report {escape(args.html)}")
        write_html(args.html, result, drift, by_period, extras, s.sample[features], t.sample[features])
        result["html"] = str(args.html)
    progress.done()
    if args.json:
        print(dumps(result), file=out)
    else:
        print_report(result, drift, by_period, source, target, out, edge_sample=_EDGE_SAMPLE,
                     max_classifier_features=_MAX_CLASSIFIER_FEATURES)
    return 0


def _file_info(table, scanned):
    return {"path": str(table.path), "separator": table.sep, "rows": scanned.n_rows,
            "sampled_rows": len(scanned.sample), "sampled": not scanned.complete}


def _period_order(values):
    """Periods sorted as numbers when they all are numbers, else as text."""
    try:
        return sorted(values, key=float)
    except (TypeError, ValueError):
        return sorted(values, key=str)


def _drift(source, target, s, t, source_kinds, target_kinds, features, period, progress):
    """The drift table and the PSI by period, through the chunked statistics
    of ``drift_report``: exact when both files fit in the bin-edge sample."""
    def piece(table, scanned, kinds, groups_of, columns):
        # later passes read the numbers spilled by the first one, not the text again
        return (scanned.sample if scanned.complete else scanned.spill, kinds, groups_of, columns)

    zeros = lambda chunk: np.zeros(len(chunk), dtype=np.int64)
    ones = lambda chunk: np.ones(len(chunk), dtype=np.int64)
    counts = [s.n_rows, t.n_rows]
    chunks = FileChunks([piece(source, s, source_kinds, zeros, features),
                         piece(target, t, target_kinds, ones, features)], features, source_kinds, counts)
    chunks.progress = progress
    period_chunks, periods = None, None
    if period is not None:
        periods = _period_order(list(t.strata_counts))
        index = {p: k + 1 for k, p in enumerate(periods)}

        def period_groups(chunk):
            keys = chunk[period]
            return keys.astype(str).map(index).to_numpy(dtype=np.int64)

        columns = features + [period]
        period_chunks = FileChunks(
            [piece(source, s, source_kinds, zeros, features),
             piece(target, t, target_kinds, period_groups, columns)],
            features, source_kinds, [s.n_rows] + [t.strata_counts[p] for p in periods])
        period_chunks.progress = progress
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # an all-missing column was refused already
            drift, by_period = drift_tables(chunks, period_chunks, periods, sample_size=_EDGE_SAMPLE)
    except ValueError as exc:
        raise CommandError(f"the drift statistics cannot be computed: {escape(exc)}") from None
    exact = s.n_rows <= _EDGE_SAMPLE and t.n_rows <= _EDGE_SAMPLE
    drift.attrs["method"] = "exact" if exact else "streaming"
    return drift, by_period


def _numeric_view(frame, numeric, categorical):
    """Column names, the feature each column comes from, and the rows as
    numbers: categories one-hot encoded (over both files, so both get the
    same columns), missing values as NaN."""
    import pandas as pd

    numbers = pd.get_dummies(frame[numeric + categorical], columns=categorical, dummy_na=True,
                             dtype=float, prefix_sep="=")
    owners = list(numeric)
    for c in categorical:
        owners += [c] * sum(1 for n in numbers.columns[len(owners):] if str(n).startswith(f"{c}="))
    return [str(c) for c in numbers.columns], owners, numbers.to_numpy(dtype=float)


def _model():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(SimpleImputer(keep_empty_features=True), StandardScaler(),
                         LogisticRegression(max_iter=2000))


def _models(result, source, target, y_source, y_target, known, features, numeric, categorical,
            drift, args, progress):
    import pandas as pd
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    from .._domain import stack_domains
    from ..diagnostics import domain_classifier_auc, estimate_target_score
    from ..metrics import gini_score, ks_score
    from ..reweighting import DomainClassifierWeighting, ImportanceWeightedClassifier

    seed = args.random_state
    stacked = pd.concat([source[features], target[features]], ignore_index=True)
    matrix_names, owners, matrix = _numeric_view(stacked, numeric, categorical)
    Xs, Xt = matrix[: len(source)], matrix[len(source):]
    X, _y, sample_domain = stack_domains(Xs, y_source, Xt)

    columns = np.arange(matrix.shape[1])
    if len(features) > _MAX_CLASSIFIER_FEATURES:
        top = set(drift.index[:_MAX_CLASSIFIER_FEATURES])
        columns = np.array([j for j, owner in enumerate(owners) if owner in top])
    progress.stage(f"domain classifier on {len(Xs):,} source and {len(Xt):,} target rows, "
                   f"{len(columns)} columns")
    # one permutation per feature and fold past 20,000 rows or 50 columns: the importances
    # cost a prediction each, and their ranking is what the report shows
    n_repeats = 1 if len(X) > 20_000 or len(columns) > 50 else 2
    try:
        domain = domain_classifier_auc(
            X[:, columns], sample_domain=sample_domain, feature_names=[matrix_names[j] for j in columns],
            cv=3, n_repeats=n_repeats, random_state=seed,
        )
    except ValueError as exc:
        raise CommandError(f"the domain classifier cannot run on these rows: {exc}") from None
    result["domain_classifier"] = {
        "auc": domain.auc, "auc_std": domain.auc_std, "ranking": domain.ranking[:TOP_FEATURES],
        "importances": dict(zip(domain.feature_names, domain.importances)),
        "features_used": len(columns), "features_total": matrix.shape[1], "n_repeats": n_repeats,
        "rows": {"source": len(Xs), "target": len(Xt)},
    }

    progress.stage("importance weighting and the models")
    fit_rows, held_out = train_test_split(
        np.arange(len(Xs)), test_size=0.3, random_state=seed, stratify=y_source
    )
    X_fit, y_fit, _ = stack_domains(Xs[fit_rows], y_source[fit_rows], Xt)
    X_eval, y_eval, _ = stack_domains(Xs[held_out], y_source[held_out], Xt)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        models = {
            "source only": _model().fit(Xs[fit_rows], y_source[fit_rows]),
            "importance weighted": ImportanceWeightedClassifier(
                _model(),
                weighting=DomainClassifierWeighting(estimator=_model(), random_state=seed),
                random_state=seed,  # the folds that choose the flattening
            ).fit(X_fit, y_fit),
        }
        rows, estimates = [], {}
        for name, model in models.items():
            progress.stage(f"estimating the target AUC of the {name} model")
            estimate = estimate_target_score(
                model, X_eval, y_eval,
                weighting=DomainClassifierWeighting(estimator=_model()),
                random_state=seed,
            )
            estimates[name] = estimate
            row = {
                "name": name, "source_auc": estimate.source_score,
                "estimated_target_auc": estimate.score,
                "flattening": estimate.flattening,
                "estimate_effective_sample_size": estimate.effective_sample_size,
            }
            for field in ("ci_low", "ci_high", "confidence", "method", "trustworthy", "trust_note"):
                row[field] = getattr(estimate, field, None)
            if y_target is not None:
                scores = model.predict_proba(Xt)[:, 1][known]
                truth = y_target[known]
                if np.unique(truth).size == 2:
                    row["target_auc"] = roc_auc_score(truth, scores)
                    row["target_gini"] = gini_score(truth, scores)
                    row["target_ks"] = ks_score(truth, scores)
            rows.append(row)
    weighted = models["importance weighted"]
    ess, n_weights = float(weighted.effective_sample_size_), len(weighted.weights_)
    result["models"] = rows
    result["weights"] = {"effective_sample_size": ess, "rows": n_weights,
                         "flattening": rows[-1]["flattening"]}
    result["library_warnings"] = sorted({str(w.message).splitlines()[0] for w in caught})
    _overlap_warnings(result, domain.auc, ess, n_weights, rows)
    baseline = models["source only"]
    return {
        "domain": domain, "estimate": estimates["source only"], "weights": np.asarray(weighted.weights_),
        "source_scores": baseline.predict_proba(Xs[held_out])[:, 1],
        "target_scores": baseline.predict_proba(Xt)[:, 1],
    }


def _overlap_warnings(result, auc, ess, n_weights, rows):
    """The warnings of domains that barely overlap: the estimator's own
    trust flag when it has one, else the domain AUC and the effective
    sample size of the weights."""
    notes = result["warnings"]
    if auc >= _OVERLAP_AUC:
        notes.append(
            f"the domains barely overlap: the domain classifier tells them apart with AUC {auc:.3f} "
            f"(>= {_OVERLAP_AUC}); target rows unlike any source row get no reliable score"
        )
    flags = [r.get("trustworthy") for r in rows]
    if any(f is not None for f in flags):
        untrusted = {}
        for r in rows:
            if r.get("trustworthy") is False:
                note = (r.get("trust_note") or "the estimator flags it as untrustworthy").rstrip(".")
                untrusted.setdefault(note, []).append(r["name"])
        for note, models in untrusted.items():
            which = " and ".join(f"the {m} model" for m in models)
            notes.append(f"the estimated target AUC of {which} cannot be trusted: {note}")
    elif auc >= _OVERLAP_AUC or ess < _MIN_ESS_FRACTION * n_weights:
        notes.append(
            f"the weighted estimate cannot be trusted: the importance weights have an effective sample "
            f"size of {ess:.0f} of {n_weights} rows, and the estimated target AUC rests on few source rows"
        )
    if ess < _MIN_ESS_FRACTION * n_weights:
        notes.append(
            f"importance weighting may hurt here: its effective sample size is {ess:.0f} of {n_weights} "
            "rows; prefer the source-only model unless target labels show otherwise"
        )
