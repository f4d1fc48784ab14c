"""The ``sktransfer diagnose`` command: drift report and source-only vs
importance-weighted comparison on two CSV files."""

import sys
from pathlib import Path

import numpy as np

_MAX_LEVELS = 50  # a non-numeric column with more distinct values is not one-hot encoded
_TOP_FEATURES = 15


class CommandError(Exception):
    """A problem with the user's files or arguments, reported without a traceback."""


def add_parser(commands):
    parser = commands.add_parser(
        "diagnose",
        help="drift report and source-only vs adapted model on SOURCE.csv and TARGET.csv",
        description="Compare two tables with the same columns: per-feature drift (PSI, KS), "
        "a domain classifier's AUC, and a classifier trained on the source rows with and "
        "without importance weighting toward the target rows. Target labels, if the "
        "target file has them, are used only to report the true target score.",
    )
    parser.add_argument("source", metavar="SOURCE.csv", help="labelled source rows")
    parser.add_argument("target", metavar="TARGET.csv", help="target rows (labels optional)")
    parser.add_argument("--target", dest="label", required=True, metavar="COLUMN",
                        help="the column holding the outcome")
    parser.add_argument("--random-state", type=int, default=0,
                        help="seed of every random step: the same seed prints the same report "
                        "(default: %(default)s)")
    parser.set_defaults(run=run)
    return parser


def _read(path, name):
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the environment
        raise CommandError("'sktransfer diagnose' reads CSV files with pandas: pip install pandas") from None
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"{name} file not found: {path}")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise CommandError(f"{name} file is empty: {path}") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CommandError(f"{name} file is not a readable CSV ({path}): {exc}") from None
    if len(frame) == 0:
        raise CommandError(f"{name} file has a header but no rows: {path}")
    return frame


def _check_columns(source, target, label):
    if label not in source.columns:
        raise CommandError(
            f"the target column {label!r} is not in the source file (columns: {', '.join(map(str, source.columns))})"
        )
    features = [c for c in source.columns if c != label]
    missing = [c for c in features if c not in target.columns]
    extra = [c for c in target.columns if c not in source.columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing from the target file: {', '.join(map(str, missing))}")
        if extra:
            parts.append(f"only in the target file: {', '.join(map(str, extra))}")
        raise CommandError("the two files need the same feature columns; " + "; ".join(parts))
    if not features:
        raise CommandError("no feature columns besides the target column")
    return features


def _split_kinds(frame, features):
    numeric, categorical = [], []
    for column in features:
        values = frame[column]
        if values.dtype.kind in "biuf":
            numeric.append(column)
            continue
        levels = values.nunique(dropna=True)
        if levels > _MAX_LEVELS:
            raise CommandError(
                f"column {column!r} is not numeric and has {levels} distinct values: too many "
                f"to one-hot encode (at most {_MAX_LEVELS}); drop it or encode it as numbers"
            )
        categorical.append(column)
    return numeric, categorical


def _model():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=2000))


def run(args, out=None):
    out = out or sys.stdout
    try:
        return _run(args, out)
    except CommandError as exc:
        print(f"sktransfer diagnose: error: {exc}", file=sys.stderr)
        return 2


def _run(args, out):
    import pandas as pd
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    from ._domain import stack_domains
    from .diagnostics import domain_classifier_auc, drift_report, estimate_target_score
    from .metrics import gini_score, ks_score
    from .reweighting import DomainClassifierWeighting, ImportanceWeightedClassifier

    source = _read(args.source, "source")
    target = _read(args.target, "target")
    features = _check_columns(source, target, args.label)
    numeric, categorical = _split_kinds(pd.concat([source[features], target[features]]), features)
    labels = source[args.label]
    if labels.isna().any():
        raise CommandError(f"the target column {args.label!r} has {int(labels.isna().sum())} missing values in the source file")
    classes = np.unique(labels)
    if len(classes) != 2:
        raise CommandError(f"the target column {args.label!r} must hold two outcomes; it holds {len(classes)}")
    y_source = (labels.to_numpy() == classes[1]).astype(int)
    y_target = None
    if args.label in target.columns:
        if set(np.unique(target[args.label].dropna())) - set(classes):
            raise CommandError(f"the target file's {args.label!r} holds outcomes the source does not")
        y_target = (target[args.label].to_numpy() == classes[1]).astype(int)

    X_frame, _, _ = stack_domains(source[features], y_source, target[features])
    names, matrix = _numeric_view(X_frame, numeric, categorical)
    Xs, Xt = matrix[: len(source)], matrix[len(source):]
    X, y, sample_domain = stack_domains(Xs, y_source, Xt)
    print(f"sktransfer diagnose: {len(Xs)} source rows, {len(Xt)} target rows, {len(features)} features "
          f"({len(categorical)} categorical); outcome {args.label!r}, positive class {classes[1].item()!r}", file=out)

    report = drift_report(X_frame, y, sample_domain)
    print("\nDrift per feature (PSI bands: < 0.1 stable, < 0.25 moderate, else significant)\n", file=out)
    shown = report.head(_TOP_FEATURES)[["psi", "band", "ks_statistic", "source_mean", "target_mean"]]
    print(shown.to_string(float_format=lambda v: f"{v:.3f}"), file=out)
    if len(report) > _TOP_FEATURES:
        print(f"... and {len(report) - _TOP_FEATURES} more features", file=out)
    # one thread (the default n_threads=1): gradient boosting's OpenMP threads stall when the cores are shared
    domain = domain_classifier_auc(
        X, sample_domain=sample_domain, feature_names=names, cv=3, n_repeats=2,
        random_state=args.random_state,
    )
    print(f"\nDomain classifier AUC (0.5: the domains look alike): {domain.auc:.3f}; "
          f"features that drive it: {', '.join(map(str, domain.ranking[:3]))}", file=out)

    fit_rows, held_out = train_test_split(
        np.arange(len(Xs)), test_size=0.3, random_state=args.random_state, stratify=y_source
    )
    X_fit, y_fit, _ = stack_domains(Xs[fit_rows], y_source[fit_rows], Xt)
    X_eval, y_eval, _ = stack_domains(Xs[held_out], y_source[held_out], Xt)
    models = {
        "source only": _model().fit(Xs[fit_rows], y_source[fit_rows]),
        "importance weighted": ImportanceWeightedClassifier(
            _model(),
            weighting=DomainClassifierWeighting(
                estimator=_model(), random_state=args.random_state
            ),
            random_state=args.random_state,  # the folds that choose the flattening
        ).fit(X_fit, y_fit),
    }
    print("\nModels (logistic regression), trained on 70% of the source rows", file=out)
    header = f"{'model':22s} {'source AUC':>10s} {'est. target AUC':>15s}"
    if y_target is not None:
        header += f" {'target AUC':>10s} {'target Gini':>11s} {'target KS':>9s}"
    print(header, file=out)
    for name, model in models.items():
        estimate = estimate_target_score(
            model, X_eval, y_eval,
            weighting=DomainClassifierWeighting(estimator=_model()),
            random_state=args.random_state,
        )
        line = f"{name:22s} {estimate.source_score:10.3f} {estimate.score:15.3f}"
        if y_target is not None:
            known = ~np.isnan(target[args.label].to_numpy(dtype=float)) if target[args.label].dtype.kind == "f" else slice(None)
            scores = model.predict_proba(Xt)[:, 1][known]
            truth = y_target[known]
            line += f" {roc_auc_score(truth, scores):10.3f} {gini_score(truth, scores):11.3f} {ks_score(truth, scores):9.3f}"
        print(line, file=out)
    weighted = models["importance weighted"]
    print(f"\nimportance weights: effective sample size {weighted.effective_sample_size_:.0f} "
          f"of {len(weighted.weights_)} training rows", file=out)
    print(f"source AUC: held-out source rows. est. target AUC: the same rows weighted by the "
          f"density ratio (no target label used), flattened to w ** {estimate.flattening:.2f} so that "
          "they count for at least half the rows.", file=out)
    if y_target is not None:
        print("target AUC/Gini/KS: from the target file's labels, used for this report only.", file=out)
    return 0


def _numeric_view(frame, numeric, categorical):
    """Column names and the rows as numbers: categories one-hot encoded
    (over both files, so both get the same columns), missing values as NaN."""
    import pandas as pd

    numbers = pd.get_dummies(frame[numeric + categorical], columns=categorical, dummy_na=True, dtype=float)
    return [str(c) for c in numbers.columns], numbers.to_numpy(dtype=float)
