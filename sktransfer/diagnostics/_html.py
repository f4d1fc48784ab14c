"""One self-contained HTML page on a population shift, for a credit risk reviewer.

:func:`render_html_report` lays out results computed elsewhere (the drift
report, the domain classifier, the target-score estimate, the model's scores,
the importance weights); :func:`html_report` computes them with the package's
API and renders them. The page needs no network and no JavaScript: CSS
inline, figures inline as base64 PNG, every user-provided string escaped.
The sections are built in ``_report_sections``, the text pieces in
``_report_text``.
"""

import numbers
import warnings
from pathlib import Path

import numpy as np

from ._report_sections import _page, _weights_stats, characteristics
from ._report_text import esc, get

DEFAULT_TITLE = "Population shift report"

def _as_1d_float(values, name):
    if values is None:
        return None
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass one value per row, or None.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has {int(np.sum(~np.isfinite(arr)))} value(s) that are NaN or infinite.")
    return arr


def _check_table(data, name):
    if data is None:
        return None
    if not hasattr(data, "shape"):
        data = np.asarray(data)
    if len(data.shape) != 2:
        raise ValueError(f"{name} must be 2-D (rows x features), got shape {tuple(data.shape)}.")
    if data.shape[0] == 0:
        raise ValueError(f"{name} has no rows.")
    return data


def _context(drift, domain, estimate, source_scores, target_scores, weights, source, target, feature_names,
             title, notes, scoring, n_source, n_target, max_rows, top, skipped, by_period=None,
             source_labels=None):
    from ._drift import ks_drift, population_stability_index

    if drift is not None and (not hasattr(drift, "columns") or "psi" not in drift.columns):
        raise ValueError("drift must be the DataFrame of drift_report, with a 'psi' column.")
    if domain is not None and get(domain, "auc") is None:
        raise ValueError("domain must be the result of domain_classifier_auc, with an 'auc'.")
    if estimate is not None and (get(estimate, "score") is None or get(estimate, "source_score") is None):
        raise ValueError("estimate must be a TargetScoreEstimate (with score and source_score).")
    if by_period is not None and (not hasattr(by_period, "columns") or by_period.shape[0] == 0
                                  or by_period.shape[1] == 0):
        raise ValueError("drift_by_period must be the non-empty DataFrame of drift_by_period "
                         "(features x periods).")
    for value, name in ((max_rows, "max_rows"), (top, "top")):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
    source_scores = _as_1d_float(source_scores, "source_scores")
    target_scores = _as_1d_float(target_scores, "target_scores")
    if (source_scores is None) != (target_scores is None):
        raise ValueError("pass both source_scores and target_scores, or neither.")
    weights = _as_1d_float(weights, "weights")
    if weights is not None and (np.any(weights < 0) or weights.sum() <= 0):
        raise ValueError("weights must be non-negative with a positive sum.")
    source, target = _check_table(source, "source"), _check_table(target, "target")
    if (source is None) != (target is None):
        raise ValueError("pass both source and target feature tables, or neither.")
    names = None
    if source is not None:
        if source.shape[1] != target.shape[1]:
            raise ValueError(f"source and target must have the same features: {source.shape[1]} and "
                             f"{target.shape[1]} columns.")
        from ._columns import _feature_names

        names = _feature_names(source, feature_names, source.shape[1])
    positive = None
    if source_labels is not None:
        from ._report_characteristics import positive_of

        if source is None:
            raise ValueError("source_labels needs source and target, the feature tables.")
        positive = positive_of(source_labels)
        if positive.size != len(source):
            raise ValueError(f"source_labels has {positive.size} labels but source has {len(source)} rows.")
    if notes is None:
        notes = []
    elif isinstance(notes, str):
        notes = [notes]
    else:
        notes = [str(n) for n in notes]
    if n_source is None:
        n_source = len(source) if source is not None else (len(source_scores) if source_scores is not None else None)
    if n_target is None:
        n_target = len(target) if target is not None else (len(target_scores) if target_scores is not None else None)
    ci = None
    confidence_text = "interval"
    if estimate is not None:
        low, high = get(estimate, "ci_low"), get(estimate, "ci_high")
        if low is not None and high is not None and np.isfinite(low) and np.isfinite(high):
            ci = (float(low), float(high))
        confidence = get(estimate, "confidence")
        if confidence is not None:
            confidence_text = f"{100 * float(confidence):.0f}%"
    metric = str(get(estimate, "scoring", scoring) if estimate is not None else scoring)
    ess = None
    if weights is not None:
        st = _weights_stats(weights)
        ess = (st["ess"], st["n"])
    elif estimate is not None and get(estimate, "effective_sample_size") is not None and source_scores is not None:
        ess = (float(get(estimate, "effective_sample_size")), len(source_scores))
    ctx = dict(drift=drift, domain=domain, estimate=estimate, source_scores=source_scores,
               target_scores=target_scores, weights=weights, source=source, target=target, feature_names=names,
               title=str(title), notes=notes, metric={"roc_auc": "AUC", "gini": "Gini"}.get(metric, metric),
               n_source=n_source, n_target=n_target, max_rows=max_rows, top=top, skipped=dict(skipped or {}),
               ci=ci, confidence_text=confidence_text, ess=ess, score_psi=None, by_period=by_period)
    ctx["characteristics"] = (characteristics(source, target, positive, drift, names, top)
                              if positive is not None else None)
    if source_scores is not None:
        ctx["score_psi"] = float(population_stability_index(source_scores, target_scores))
        ctx["score_ks"] = ks_drift(source_scores, target_scores)
        ctx["score_means"] = (float(source_scores.mean()), float(target_scores.mean()))
    return ctx


def render_html_report(path, *, drift=None, domain=None, estimate=None, source_scores=None, target_scores=None,
                       weights=None, source=None, target=None, feature_names=None, drift_by_period=None,
                       source_labels=None, title=DEFAULT_TITLE, notes=None, scoring="roc_auc", n_source=None,
                       n_target=None, max_rows=40, top=6):
    """Write one self-contained HTML report from diagnostics computed elsewhere.

    The page opens with a summary a credit risk reviewer reads first (the
    domain AUC and what it means, the number of features in each PSI band,
    the estimated target score with its interval and trust flag, the sample
    sizes and effective rows, findings in plain sentences), then one section
    each: the drift table with PSI bars, source against target distributions
    of the most shifted features (with ``source_labels``, a characteristic
    analysis of them), the domain classifier's AUC and feature
    importances, the model's score distributions (and the score PSI), the
    importance weights and their effective sample size, the target-score
    estimate, and notes on how to read it (with ``drift_by_period``, the PSI
    of each target period too). Every argument is optional: a
    section whose input is missing says so. The file holds its CSS and its
    figures (base64 PNG); it needs no network and no JavaScript, and prints
    on A4. Every user-provided string (feature names, title, notes) is
    escaped, control characters shown as escapes.

    Parameters
    ----------
    path : str or path-like
        The HTML file to write (overwritten).
    drift : pandas.DataFrame, default=None
        The result of :func:`drift_report` (``psi``, ``band``, ``ks_statistic``,
        ``ks_pvalue``, means and missing shares, features as the index, most
        shifted first). Columns it lacks are shown as dashes.
    domain : Bunch or dict, default=None
        The result of :func:`domain_classifier_auc` (``auc``, ``auc_std``,
        ``fold_aucs``, ``importances``, ``importances_std``,
        ``feature_names``, ``ranking``).
    estimate : TargetScoreEstimate or dict, default=None
        The result of :func:`estimate_target_score`. Its ``ci_low``,
        ``ci_high``, ``confidence``, ``method``, ``trustworthy`` and
        ``trust_note`` are shown when it has them.
    source_scores, target_scores : array-like of shape (n_rows,), default=None
        The model's scores (e.g. predicted probability of default) on the
        source rows it is evaluated on and on the target rows.
    weights : array-like of shape (n_source_rows,), default=None
        Importance weights of the source rows (target rows left out).
    source, target : array-like of shape (n_rows, n_features) or DataFrame, default=None
        Feature tables of the two domains, for the distribution plots (the
        ``top`` features of ``drift``; past 200 000 rows an even subsample is
        drawn).
    feature_names : list of str, default=None
        Names of the columns of array ``source`` and ``target`` (default:
        the DataFrame's columns, or ``x0, x1, ...``, the names
        :func:`drift_report` gives).
    source_labels : array-like of shape (n_source_rows,), default=None
        The outcome of each row of ``source`` (two values, the larger one
        counted positive, e.g. 1 = default; NaN where unknown): adds a
        characteristic analysis of the drawn features, the positive rate the
        target's mix of each feature's bins implies at the source's rate per
        bin.
    drift_by_period : pandas.DataFrame, default=None
        The result of :func:`drift_by_period` (features x target periods,
        PSI values): a section of drift over time, drawn with
        :func:`plot_drift_over_time`. None: no such section.
    title : str, default="Population shift report"
    notes : str or list of str, default=None
        Lines shown in the notes (e.g. how the data were sampled).
    scoring : str, default="roc_auc"
        The metric of ``estimate``, when the estimate does not carry it.
    n_source, n_target : int, default=None
        Sizes of the two domains, shown in the summary (default: the rows of
        ``source`` and ``target``, else of the scores).
    max_rows : int, default=40
        Rows of the drift table shown (the most shifted; the page says how
        many more there are).
    top : int, default=6
        Features whose distributions are drawn.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        If an input is not what it should be (e.g. ``drift`` without a
        ``psi`` column, scores with NaN, only one of ``source`` and
        ``target``).
    ImportError
        If matplotlib is not installed.

    See Also
    --------
    html_report : computes the diagnostics and writes the report.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from sktransfer.diagnostics import drift_report, render_html_report
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(size=(200, 3)), rng.normal(0.5, 1.0, size=(200, 3))]
    >>> sd = np.r_[[1] * 200, [-1] * 200]
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> page = render_html_report(out, drift=drift_report(X, sample_domain=sd),
    ...                           source=X[:200], target=X[200:]).read_text()
    >>> page.count("<img "), "Not computed" in page
    (1, True)
    """
    ctx = _context(drift, domain, estimate, source_scores, target_scores, weights, source, target,
                   feature_names, title, notes, scoring, n_source, n_target, max_rows, top, None,
                   drift_by_period, source_labels)
    return _write(path, ctx)


def _write(path, ctx):
    path = Path(path)
    page = _page(ctx)
    path.write_text(page, encoding="utf-8")
    return path


def html_report(X, y=None, sample_domain=None, *, path, estimator=None, feature_names=None, scoring="roc_auc",
                method=None, weighting=None, domain_estimator=None, cv=5, n_repeats=5, period=None, random_state=0,
                title=DEFAULT_TITLE, notes=None, max_rows=40, top=6):
    """Compute the shift diagnostics of stacked data and write them as one HTML report.

    Runs :func:`drift_report`, :func:`domain_classifier_auc`, the importance
    weights (``weighting``), and, with an ``estimator``, its scores and
    :func:`estimate_target_score`, then :func:`render_html_report` (with
    binary labels ``y``, its characteristic analysis too). A step
    that fails on these data (e.g. the default domain classifier on text
    columns) leaves its section saying why, and warns; warnings raised along
    the way are listed in the report's notes.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Source and target rows, stacked.
    y : array-like of shape (n_samples,), default=None
        Labels, masked (``-1``) on target rows. Needed with ``estimator``.
    sample_domain : array-like of int of shape (n_samples,), default=None
        Domain of each row: positive for source, negative for target.
    path : str or path-like
        The HTML file to write.
    estimator : binary classifier, default=None
        The model under review. Fitted: it is scored on every labelled source
        row, which must not be rows it was trained on (or the estimate is
        optimistic). Not fitted: a clone is fitted on half of the labelled
        source rows (stratified, ``random_state``) and evaluated on the other
        half. None: the sections on scores and the estimate say so.
    feature_names : list of str, default=None
        Names of the features (default: the DataFrame's columns, or
        ``x0, x1, ...``).
    scoring : {"roc_auc", "gini", "accuracy", "neg_log_loss"}, default="roc_auc"
        The metric of the estimate.
    method : str, default=None
        The ``method`` of :func:`estimate_target_score` (None: its default).
    weighting : reweighter, default=None
        Object with ``fit_weights(X, y, sample_domain)``; None:
        :class:`~sktransfer.reweighting.DomainClassifierWeighting`. The
        same weighting (and seed) serves the weights section and the estimate.
    domain_estimator : classifier, default=None
        The domain classifier of :func:`domain_classifier_auc` (None: its
        default).
    cv, n_repeats : int, default=5
        Folds and permutation repeats of :func:`domain_classifier_auc`.
    period : array-like of shape (n_samples,) or str, default=None
        The period of each row (or the name of the DataFrame column that
        holds it, then not a feature): the report gets a section of drift
        over time (:func:`drift_by_period`). It gets one too, without
        ``period``, when the target rows have several ``sample_domain`` ids.
    random_state : int, RandomState instance or None, default=0
        Seeds every step: the same seed gives the same report (but for its
        time stamp).
    title, notes, max_rows, top
        As for :func:`render_html_report`.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        If the domains cannot be found (as :func:`drift_report`), or
        ``estimator`` is given without ``y``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer import stack_domains
    >>> from sktransfer.diagnostics import html_report
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(300, 3)), rng.normal(0.7, 1.0, size=(200, 3))
    >>> ys = (Xs[:, 0] + rng.normal(size=300) > 0).astype(int)
    >>> X, y, sd = stack_domains(Xs, ys, Xt)
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> page = html_report(X, y, sd, path=out, estimator=LogisticRegression(), cv=3,
    ...                    n_repeats=2).read_text()
    >>> page.count("<img "), "Not computed" in page
    (4, False)
    """
    from ._columns import _domain_rows, _feature_names, _take
    from ._domain_classifier import domain_classifier_auc
    from ._drift import drift_report
    from ._periods import drift_by_period

    who = "html_report"
    if isinstance(period, str):
        if not hasattr(X, "columns") or period not in X.columns:
            raise ValueError(f"{who}: period={esc(period)!r} is not a column of the DataFrame X.")
        X, period = X.drop(columns=period), X[period].to_numpy()
    data, sd = _domain_rows(X, y, sample_domain, who)
    names = _feature_names(X, feature_names, data.shape[1])
    if estimator is not None and y is None:
        raise ValueError(f"{who}: evaluating estimator needs y, the source labels (masked, -1, on target rows).")
    skipped, caught = {}, []
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        drift = drift_report(data, sample_domain=sd, feature_names=names)
        by_period = None
        if period is not None or np.unique(sd[sd < 0]).size > 1:
            by_period = drift_by_period(data, sample_domain=sd, period=period, feature_names=names)
        domain = _attempt(skipped, "domain", lambda: domain_classifier_auc(
            data, sample_domain=sd, estimator=domain_estimator, cv=cv, n_repeats=n_repeats,
            feature_names=names, random_state=random_state))
        model_part = _model_part(data, y, sd, estimator, weighting, scoring, method, random_state, skipped)
    for record in records:
        caught.append(f"{record.category.__name__}: {record.message}")
        warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
    notes = ([notes] if isinstance(notes, str) else list(notes or [])) + [
        f"{key}: not computed ({reason})" for key, reason in skipped.items()] + [
        f"warning while computing: {text}" for text in dict.fromkeys(caught)]
    for key, reason in skipped.items():
        warnings.warn(f"{who}: the {key} section is left out: {reason}", UserWarning, stacklevel=2)
    source, target = _take(data, np.flatnonzero(sd > 0)), _take(data, np.flatnonzero(sd < 0))
    source_labels = None
    if y is not None:
        from .._domain import unlabeled_mask
        from ._report_characteristics import positive_of

        y_source = np.asarray(y)[sd > 0]
        try:
            source_labels = np.where(unlabeled_mask(y_source, "classification"), np.nan,
                                     np.asarray(y_source, dtype=float))
            positive_of(source_labels)
        except (TypeError, ValueError) as exc:  # not two numeric classes: no characteristic analysis
            notes.append(f"characteristic analysis: not computed ({exc})")
            source_labels = None
    ctx = _context(drift, domain, model_part["estimate"], model_part["source_scores"], model_part["target_scores"],
                   model_part["weights"], source, target, names, title, notes, scoring, int(np.sum(sd > 0)),
                   int(np.sum(sd < 0)), max_rows, top,
                   {k: f"{esc(v)}" for k, v in skipped.items()}, by_period, source_labels)
    return _write(path, ctx)


def _attempt(skipped, key, step):
    try:
        return step()
    except (ValueError, TypeError) as exc:
        skipped[key] = str(exc).removeprefix("html_report: ")
        return None


def _model_part(data, y, sd, estimator, weighting, scoring, method, random_state, skipped):
    """Scores, weights and estimate of the model under review (None where not computed)."""
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    from .._domain import unlabeled_mask
    from ..reweighting import DomainClassifierWeighting
    from ._columns import _take
    from ._performance import _check_numeric_features, estimate_target_score

    out = {"estimate": None, "source_scores": None, "target_scores": None, "weights": None}
    keep = np.arange(len(sd))
    if estimator is not None:
        y = np.asarray(y)
        labelled = np.flatnonzero((sd > 0) & ~unlabeled_mask(y, "classification"))
        try:
            check_is_fitted(estimator)
            model = estimator
        except NotFittedError:
            from sklearn.model_selection import train_test_split

            try:
                fit_rows, _ = train_test_split(labelled, test_size=0.5, stratify=y[labelled],
                                               random_state=random_state)
            except ValueError:  # a class too small to stratify
                fit_rows, _ = train_test_split(labelled, test_size=0.5, random_state=random_state)
            model = _attempt(skipped, "estimate", lambda: clone(estimator).fit(_take(data, fit_rows), y[fit_rows]))
            keep = np.setdiff1d(keep, fit_rows)
        if model is None:
            skipped["scores"] = skipped["estimate"]
        else:
            held = np.flatnonzero((sd[keep] > 0) & ~unlabeled_mask(y[keep], "classification"))
            scores = _attempt(skipped, "scores", lambda: _positive_scores(model, _take(data, keep)))
            if scores is not None:
                out["source_scores"], out["target_scores"] = scores[held], scores[sd[keep] < 0]
            extra = {} if method is None else {"method": method}
            out["estimate"] = _attempt(skipped, "estimate", lambda: estimate_target_score(
                model, _take(data, keep), y[keep], sd[keep], weighting=weighting, scoring=scoring,
                random_state=random_state, **extra))
    weigher = clone(weighting) if weighting is not None else DomainClassifierWeighting(random_state=random_state)
    if weighting is not None and "random_state" in weigher.get_params(deep=False) \
            and weigher.get_params(deep=False)["random_state"] is None:
        weigher.set_params(random_state=random_state)
    labels = np.asarray(y)[keep] if y is not None else np.where(sd[keep] > 0, 0, -1)
    def fit_weights():
        if weighting is None:
            _check_numeric_features(data, "html_report", "the default weighting (a logistic regression)")
        return np.asarray(weigher.fit_weights(_take(data, keep), labels, sd[keep]), dtype=float)

    weights = _attempt(skipped, "weights", fit_weights)
    if weights is not None:
        scored = sd[keep] > 0
        if estimator is not None and y is not None:
            scored &= ~unlabeled_mask(np.asarray(y)[keep], "classification")
        out["weights"] = weights[scored]
    return out


def _positive_scores(model, X):
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X))
        if proba.ndim != 2 or proba.shape[1] != 2:
            raise ValueError(f"the model's scores need a binary classifier; predict_proba gave shape {proba.shape}.")
        return proba[:, 1]
    return np.asarray(model.decision_function(X), dtype=float).ravel()
