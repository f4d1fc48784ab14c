"""Every public estimator, transformer and function over a matrix of bad inputs.

Each (subject, case) pair must end in one of three outcomes:

- ``error``: a ``ValueError`` or ``TypeError`` whose message names the
  problem (each case says which words a message must hold);
- ``warning``: a documented warning (:class:`~sktransfer.DomainWarning`,
  :class:`~sktransfer.DegenerateWeightsWarning`) and a finite result;
- ``result``: a finite result of the right shape.

Anything else fails: an obscure error (an ``IndexError``, a ``LinAlgError``,
a message that does not name the problem) or silent garbage (NaN, inf, or a
constant output where the clean data gives a varying one). Some cases require
one outcome (a -1 class marked as source must be an error; labels {-1, 1}
must warn or fail).

Run this file as a script to print the table of outcomes::

    python tests/test_bad_inputs.py
"""

import importlib.util
import inspect
import re
import sys
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge

import sktransfer
from sktransfer import (
    CORAL,
    KLIEP,
    DegenerateWeightsWarning,
    DomainClassifierWeighting,
    DomainStandardScaler,
    DomainWarning,
    ImportanceWeightedClassifier,
    ImportanceWeightedRegressor,
    JointDistributionAdaptation,
    KernelMeanMatching,
    LabeledOnly,
    NearestNeighborsWeighting,
    FewShotTransferClassifier,
    FewShotTransferRegressor,
    RegularizedTransferClassifier,
    RegularizedTransferRegressor,
    SubspaceAlignment,
    TrAdaBoostClassifier,
    TrAdaBoostR2,
    TransferComponentAnalysis,
    make_da_pipeline,
    stack_domains,
    unstack_domains,
)
from sktransfer import diagnostics, metrics

HAS_DEEP = importlib.util.find_spec("torch") is not None and importlib.util.find_spec("skorch") is not None
HAS_TORCH = importlib.util.find_spec("torch") is not None

N_SOURCE, N_TARGET, N_FEATURES = 40, 20, 3
DOCUMENTED_WARNINGS = (DomainWarning, DegenerateWeightsWarning)


# ---- the cases ---------------------------------------------------------------


@dataclass
class Case:
    """Stacked data for one bad input, and what a clear error must say about it."""

    X: object
    y_class: np.ndarray
    y_reg: np.ndarray
    sample_domain: object = None
    X_predict: object = None
    error_words: str = ""  # a regex a clear error message must match
    require: str = None  # "error": only a clear error is right; "warn_or_error": a warning or an error
    # what the case is about: "X", "magnitude", "labels" (masks), "class labels" (-1 as a class),
    # "domains" (sample_domain) or "predict" (predict-time rows)
    reads: str = "X"

    def source_target(self):
        sd = self.sample_domain
        if sd is None or not _valid_domains(sd, self.X):
            sd = np.where(sktransfer.unlabeled_mask(self.y_class), -1, 1)
        sd = np.asarray(sd)
        take = (lambda m: self.X.tocsr()[np.flatnonzero(m)]) if sp.issparse(self.X) else (
            (lambda m: self.X.iloc[np.flatnonzero(m)]) if hasattr(self.X, "iloc") else (lambda m: np.asarray(self.X)[m]))
        return take(sd > 0), take(sd < 0)


def _valid_domains(sd, X):
    try:
        sktransfer.check_sample_domain(sd, X.shape[0])
        return True
    except ValueError:
        return False


def _clean(n_source=N_SOURCE, n_target=N_TARGET, n_features=N_FEATURES, seed=0):
    rng = np.random.default_rng(seed)
    Xs = rng.normal(size=(n_source, n_features))
    Xt = rng.normal(0.5, 1.2, size=(n_target, n_features))
    ys = (Xs[:, 0] + 0.3 * rng.normal(size=n_source) > 0).astype(int)
    if n_source >= 2:
        ys[:2] = [0, 1]  # both classes, whatever the size
    X = np.vstack([Xs, Xt])
    y_class = np.r_[ys, np.full(n_target, -1)]
    y_reg = np.r_[Xs[:, 0] + 0.1 * rng.normal(size=n_source), np.full(n_target, np.nan)]
    return X, y_class, y_reg


def _case_nan():
    X, yc, yr = _clean()
    X[3, 1] = np.nan
    return Case(X, yc, yr, error_words=r"NaN")


def _case_inf():
    X, yc, yr = _clean()
    X[3, 1] = np.inf
    return Case(X, yc, yr, error_words=r"[Ii]nf")


def _case_all_nan_column():
    X, yc, yr = _clean()
    X[:, 2] = np.nan
    return Case(X, yc, yr, error_words=r"NaN|empty|missing")


def _case_zero_features():
    X, yc, yr = _clean()
    return Case(X[:, :0], yc, yr, error_words=r"0 feature")


def _case_string_column():
    X, yc, yr = _clean()
    X = X.astype(object)
    X[:, 1] = np.where(np.arange(len(X)) % 2, "a", "b")
    return Case(X, yc, yr, error_words=r"string|numeric|convert|encode|categor")


def _case_categorical_column():
    import pandas as pd

    X, yc, yr = _clean()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["c"] = pd.Categorical(np.where(np.arange(len(X)) % 2, "x", "y"))
    return Case(frame, yc, yr, error_words=r"string|numeric|convert|encode|categor")


def _case_csr():
    X, yc, yr = _clean()
    X[np.abs(X) < 0.5] = 0.0
    return Case(sp.csr_matrix(X), yc, yr, error_words=r"[Ss]parse|toarray|dense")


def _case_one_row():
    X, yc, yr = _clean()
    return Case(X[:1], yc[:1], yr[:1], error_words=r"sample|row|target|class|landmark")


def _case_one_target_row():
    X, yc, yr = _clean(n_target=1)
    return Case(X, yc, yr, error_words=r"target|sample|row")


def _case_p_greater_than_n():
    X, yc, yr = _clean(n_source=8, n_target=6, n_features=30)
    return Case(X, yc, yr, error_words=r"feature|sample|row|component")


def _case_huge():
    X, yc, yr = _clean()
    return Case(X * 1e300, yc, yr, error_words=r"magnitude", reads="magnitude")


def _case_tiny():
    X, yc, yr = _clean()
    return Case(X * 1e-300, yc, yr, error_words=r"magnitude", reads="magnitude")


def _case_labels_plus_minus_one():
    # {-1, 1} labels and every row labelled: -1 reads as the mask
    X, _, yr = _clean(n_target=0)
    rng = np.random.default_rng(1)
    yc = np.where(X[:, 0] + 0.3 * rng.normal(size=len(X)) > 0, 1, -1)
    return Case(X, yc, yr, error_words=r"-1", require="warn_or_error", reads="class labels")


def _case_minus_one_class_marked_source():
    # the source has the classes -1, 0 and 1; the target rows are masked with -1
    X, yc, yr = _clean()
    yc[:N_SOURCE] = np.arange(N_SOURCE) % 3 - 1
    sd = np.r_[np.ones(N_SOURCE), -np.ones(N_TARGET)].astype(int)
    return Case(X, yc, yr, sample_domain=sd, error_words=r"-1", require="error",
                reads=("class labels", "domains"))


def _case_all_masked():
    X, yc, yr = _clean()
    return Case(X, np.full(len(X), -1), np.full(len(X), np.nan), error_words=r"source|labelled|masked|target",
                reads="labels")


def _case_sample_domain_wrong_length():
    X, yc, yr = _clean()
    return Case(X, yc, yr, sample_domain=np.r_[np.ones(N_SOURCE), -np.ones(N_TARGET - 1)].astype(int),
                error_words=r"sample_domain", require="error", reads="domains")


def _case_sample_domain_zero():
    X, yc, yr = _clean()
    sd = np.r_[np.ones(N_SOURCE), -np.ones(N_TARGET)].astype(int)
    sd[0] = 0
    return Case(X, yc, yr, sample_domain=sd, error_words=r"sample_domain|0", require="error", reads="domains")


def _case_sample_domain_fraction():
    X, yc, yr = _clean()
    sd = np.r_[np.ones(N_SOURCE), -np.ones(N_TARGET)]
    sd[0] = 0.5
    return Case(X, yc, yr, sample_domain=sd, error_words=r"sample_domain|integer", require="error",
                reads="domains")


def _case_sample_domain_strings():
    X, yc, yr = _clean()
    sd = np.array(["source"] * N_SOURCE + ["target"] * N_TARGET)
    return Case(X, yc, yr, sample_domain=sd, error_words=r"sample_domain|integer", require="error",
                reads="domains")


def _case_wrong_features_at_predict():
    X, yc, yr = _clean()
    return Case(X, yc, yr, X_predict=np.zeros((5, N_FEATURES + 2)), error_words=r"feature", require="error",
                reads="predict")


CASES = {
    "NaN": _case_nan,
    "inf": _case_inf,
    "all-NaN column": _case_all_nan_column,
    "0 features": _case_zero_features,
    "string column": _case_string_column,
    "categorical column": _case_categorical_column,
    "CSR": _case_csr,
    "1 row": _case_one_row,
    "1 target row": _case_one_target_row,
    "p > n": _case_p_greater_than_n,
    "x1e300": _case_huge,
    "x1e-300": _case_tiny,
    "y in {-1, 1}": _case_labels_plus_minus_one,
    "class -1 marked source": _case_minus_one_class_marked_source,
    "y all -1": _case_all_masked,
    "sample_domain wrong length": _case_sample_domain_wrong_length,
    "sample_domain with 0": _case_sample_domain_zero,
    "sample_domain 0.5": _case_sample_domain_fraction,
    "sample_domain strings": _case_sample_domain_strings,
    "wrong feature count at predict": _case_wrong_features_at_predict,
}


# ---- the subjects --------------------------------------------------------------


@dataclass
class Subject:
    """How to run one public name on a case: ``run(case) -> output array(s)``."""

    name: str
    run: object
    kind: str = "estimator"
    # what the subject reads: a case about something it does not read does not apply
    reads: tuple = ("X", "magnitude", "labels", "class labels", "domains", "predict")
    keeps_values: bool = False  # returns X's values as they are (NaN stays NaN)
    nan_documented_for: tuple = ()  # cases whose NaN in the output the docstring states


def _fit_predict(factory, task):
    def run(case):
        est = factory(case)
        y = case.y_class if task == "classification" else case.y_reg
        kwargs = {} if case.sample_domain is None else {"sample_domain": case.sample_domain}
        est.fit(case.X, y, **kwargs)
        X_new = case.X if case.X_predict is None else case.X_predict
        out = [est.predict(X_new)]
        if hasattr(est, "predict_proba"):
            out.append(est.predict_proba(X_new))
        return out

    return run


def _fit_transform(factory):
    def run(case):
        est = factory(case)
        kwargs = {} if case.sample_domain is None else {"sample_domain": case.sample_domain}
        est.fit(case.X, case.y_class, **kwargs)
        X_new = case.X if case.X_predict is None else case.X_predict
        return [est.transform(X_new)]

    return run


def _fit_weights(factory):
    def run(case):
        est = factory(case)
        kwargs = {} if case.sample_domain is None else {"sample_domain": case.sample_domain}
        return [est.fit(case.X, case.y_class, **kwargs).weights_]

    return run


def _constant(factory):
    return lambda case: factory()


def _n_features(case):
    return case.X.shape[1]


def _subjects():
    c, r = "classification", "regression"
    subjects = [
        Subject("CORAL", _fit_transform(_constant(CORAL)), "transformer"),
        Subject("CORAL(reg=0)", _fit_transform(lambda case: CORAL(reg=0.0)), "transformer"),
        Subject("DomainStandardScaler", _fit_transform(_constant(DomainStandardScaler)), "transformer"),
        Subject("TransferComponentAnalysis", _fit_transform(lambda case: TransferComponentAnalysis(n_components=2)),
                "transformer"),
        Subject("TransferComponentAnalysis(rbf)", _fit_transform(
            lambda case: TransferComponentAnalysis(n_components=2, kernel="rbf", random_state=0)), "transformer"),
        Subject("JointDistributionAdaptation", _fit_transform(
            lambda case: JointDistributionAdaptation(n_components=2, n_iter=2)), "transformer"),
        Subject("SubspaceAlignment", _fit_transform(lambda case: SubspaceAlignment(n_components=1)), "transformer"),
        Subject("DomainClassifierWeighting", _fit_weights(lambda case: DomainClassifierWeighting(random_state=0)),
                "reweighter"),
        Subject("KLIEP", _fit_weights(lambda case: KLIEP(n_centers=10, random_state=0)), "reweighter"),
        Subject("NearestNeighborsWeighting", _fit_weights(_constant(NearestNeighborsWeighting)), "reweighter"),
        Subject("KernelMeanMatching", _fit_weights(_constant(KernelMeanMatching)), "reweighter"),
        Subject("ImportanceWeightedClassifier", _fit_predict(
            lambda case: ImportanceWeightedClassifier(random_state=0), c)),
        Subject("ImportanceWeightedRegressor", _fit_predict(
            lambda case: ImportanceWeightedRegressor(random_state=0), r)),
        Subject("LabeledOnly(LogisticRegression)", _fit_predict(
            lambda case: LabeledOnly(LogisticRegression()), c)),
        Subject("make_da_pipeline(CORAL, LogisticRegression)", _fit_predict(
            lambda case: make_da_pipeline(CORAL(), LogisticRegression()), c)),
        Subject("make_da_pipeline(CORAL, Ridge)", _fit_predict(lambda case: make_da_pipeline(CORAL(), Ridge()), r)),
        # with a linear base: the default HistGradientBoosting grows no split on the
        # few rows of "p > n" (min_samples_leaf=20), so its constant output is sklearn's
        # behaviour, not the selector's
        Subject("FewShotTransferClassifier", _fit_predict(
            lambda case: FewShotTransferClassifier(LogisticRegression(), random_state=0), c)),
        Subject("FewShotTransferRegressor", _fit_predict(
            lambda case: FewShotTransferRegressor(Ridge(), random_state=0), r)),
        Subject("RegularizedTransferClassifier", _fit_predict(
            lambda case: RegularizedTransferClassifier(random_state=0), c)),
        Subject("RegularizedTransferRegressor", _fit_predict(
            lambda case: RegularizedTransferRegressor(random_state=0), r)),
        Subject("TrAdaBoostClassifier", _fit_predict(
            lambda case: TrAdaBoostClassifier(n_estimators=5, random_state=0), c)),
        Subject("TrAdaBoostR2", _fit_predict(
            lambda case: TrAdaBoostR2(n_estimators=3, n_steps=2, n_folds=2, random_state=0), r)),
    ]
    subjects += _function_subjects()
    if HAS_DEEP:
        subjects += _deep_subjects()
    if HAS_TORCH:
        subjects += _feature_subjects()
    for subject in subjects:
        subject.reads = tuple(r for r in subject.reads if r not in _DOES_NOT_READ(subject))
    return subjects


def _DOES_NOT_READ(subject):
    """What a subject does not read, so that the cases about it do not apply."""
    name = subject.name
    skip = set()
    if subject.kind == "reweighter":
        skip.add("predict")  # no predict-time rows: the weights are of the fitted rows
    if "Regressor" in name or "R2" in name or "Ridge" in name:
        skip.add("class labels")  # -1 is a value of a regression target; only NaN masks
    if name.startswith("LabeledOnly"):
        # LabeledOnly hands X to the wrapped estimator as it is: the magnitudes it
        # supports are that estimator's (trees take any; LogisticRegression does not)
        skip.add("magnitude")
    if name.startswith("FineTuned"):
        skip.add("domains")  # fine-tuning fits the labelled rows; it takes no sample_domain
    if name == "PretrainedFeatureExtractor":
        skip |= {"labels", "class labels", "domains"}  # fit reads X only
    return skip


def _function_subjects():
    def split(case):
        return case.source_target()

    def fitted_pipe(case):
        kwargs = {} if case.sample_domain is None else {"sample_domain": case.sample_domain}
        return make_da_pipeline(CORAL(), LogisticRegression()).fit(case.X, case.y_class, **kwargs)

    def with_domains(func, **params):
        def run(case):
            kwargs = {} if case.sample_domain is None else {"sample_domain": case.sample_domain}
            return func(case.X, case.y_class, **kwargs, **params)
        return run

    def drift_values(report):
        return [np.asarray(report["psi"], dtype=float)]  # KS is NaN on categorical columns, as documented

    return [
        Subject("stack_domains", lambda case: [
            stack_domains(*_split_stack(case))[0]], "function", ("X", "magnitude"), keeps_values=True),
        Subject("unstack_domains", lambda case: list(unstack_domains(case.X, case.y_class, case.sample_domain))[:1],
                "function", ("X", "magnitude", "labels", "class labels", "domains"), keeps_values=True),
        Subject("domain_classifier_auc", lambda case: [
            np.asarray(with_domains(diagnostics.domain_classifier_auc, random_state=0)(case).auc)], "function",
                ("X", "magnitude", "labels", "class labels", "domains")),
        Subject("drift_report", lambda case: drift_values(with_domains(diagnostics.drift_report)(case)),
                "function", ("X", "magnitude", "labels", "class labels", "domains")),
        # the KS statistic of a categorical column is NaN, as ks_drift documents
        Subject("ks_drift", lambda case: [np.asarray(diagnostics.ks_drift(*split(case))[0], dtype=float)],
                "function", ("X", "magnitude"), nan_documented_for=("string column", "categorical column")),
        Subject("population_stability_index", lambda case: [
            np.asarray(diagnostics.population_stability_index(*split(case)), dtype=float)], "function", ("X", "magnitude")),
        Subject("estimate_target_score", lambda case: [np.asarray(diagnostics.estimate_target_score(
            fitted_pipe(case), case.X, case.y_class, case.sample_domain, random_state=0)[0])], "function",
                ("X", "magnitude", "labels", "class labels", "domains")),
        Subject("mmd", lambda case: [np.asarray(metrics.mmd(*split(case)))], "function", ("X", "magnitude")),
        Subject("mmd_test", lambda case: [np.asarray(metrics.mmd_test(*split(case), n_permutations=20,
                                                                      random_state=0)[0])], "function", ("X", "magnitude")),
        Subject("roc_auc_scorer", lambda case: [np.asarray(metrics.roc_auc_scorer(
            fitted_pipe(case), case.X, case.y_class))], "function", ("X", "magnitude", "labels", "class labels")),
    ] + _model_selection_subjects(fitted_pipe)


def _model_selection_subjects(fitted_pipe):
    from sktransfer import model_selection as ms

    def seeded(cls, **params):
        if "random_state" in inspect.signature(cls).parameters:
            params["random_state"] = 0
        return cls(**params)

    def scorer(cls, **params):
        def run(case):
            kwargs = {} if case.sample_domain is None else {"sample_domain": case.sample_domain}
            return [np.asarray(seeded(cls, **params)(fitted_pipe(case), case.X, case.y_class, **kwargs))]
        return run

    def splitter(case):
        kwargs = {} if case.sample_domain is None else {"sample_domain": case.sample_domain}
        folds = list(seeded(ms.DomainShuffleSplit, n_splits=2).split(case.X, case.y_class, **kwargs))
        return [np.concatenate([np.r_[train, test] for train, test in folds]).astype(float)]

    reads = ("X", "magnitude", "labels", "class labels", "domains")
    return [
        Subject("ImportanceWeightedScorer", scorer(ms.ImportanceWeightedScorer), "function", reads),
        Subject("PredictionEntropyScorer", scorer(ms.PredictionEntropyScorer), "function", reads),
        Subject("SoftNeighborhoodDensity", scorer(ms.SoftNeighborhoodDensity), "function", reads),
        Subject("ReverseValidation", scorer(ms.ReverseValidation), "function", reads),
        Subject("DomainShuffleSplit", splitter, "function", reads),
    ]


def _split_stack(case):
    Xs, Xt = case.source_target()
    y = np.asarray(case.y_class)
    labelled = ~sktransfer.unlabeled_mask(y)
    if case.sample_domain is not None:
        sktransfer.check_sample_domain(case.sample_domain, case.X.shape[0])
    ys = y[labelled] if Xs.shape[0] == labelled.sum() else y[: Xs.shape[0]]
    return Xs, ys, Xt


def _deep_subjects():
    import torch
    from sktransfer.deep import (
        DomainAdversarialClassifier,
        DomainAdversarialRegressor,
        DomainAlignmentClassifier,
        DomainAlignmentRegressor,
        FineTunedClassifier,
        FineTunedRegressor,
    )

    fast = dict(max_epochs=2, batch_size=16, random_state=0, verbose=0)

    def backbone(case):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            return torch.nn.Sequential(torch.nn.Linear(max(_n_features(case), 1), 8), torch.nn.ReLU())

    c, r = "classification", "regression"
    return [
        Subject("DomainAdversarialClassifier", _fit_predict(lambda case: DomainAdversarialClassifier(**fast), c)),
        Subject("DomainAdversarialRegressor", _fit_predict(lambda case: DomainAdversarialRegressor(**fast), r)),
        Subject("DomainAlignmentClassifier", _fit_predict(lambda case: DomainAlignmentClassifier(**fast), c)),
        Subject("DomainAlignmentRegressor", _fit_predict(lambda case: DomainAlignmentRegressor(**fast), r)),
        Subject("FineTunedClassifier", _fit_predict(lambda case: FineTunedClassifier(backbone(case), **fast), c)),
        Subject("FineTunedRegressor", _fit_predict(lambda case: FineTunedRegressor(backbone(case), **fast), r)),
    ]


def _feature_subjects():
    import torch
    from sktransfer.features import PretrainedFeatureExtractor

    def extractor(case):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            net = torch.nn.Sequential(torch.nn.Linear(max(_n_features(case), 1), 4), torch.nn.Tanh())
        return PretrainedFeatureExtractor(net, device="cpu")

    return [Subject("PretrainedFeatureExtractor", _fit_transform(extractor), "transformer")]


SUBJECTS = {subject.name: subject for subject in _subjects()}

# ---- the outcome ---------------------------------------------------------------

OBSCURE = "obscure error"
GARBAGE = "silent garbage"
ACCEPTED = ("error", "warning", "result", "n/a")


def _finite_arrays(out):
    for value in out:
        if sp.issparse(value):
            value = value.toarray()
        value = np.asarray(value)
        if value.dtype.kind in "fc" and not np.all(np.isfinite(value)):
            return False
    return True


def _is_constant(out):
    first = out[0]
    first = first.toarray() if sp.issparse(first) else np.asarray(first)
    return first.size > 1 and first.dtype.kind in "fiu" and np.ptp(first.astype(float)) == 0


def outcome(subject, case_name):
    """``(outcome, detail)`` of one subject on one case; ``("n/a", why)`` when it does not apply."""
    case = CASES[case_name]()
    needs = (case.reads,) if isinstance(case.reads, str) else case.reads
    if not set(needs) <= set(subject.reads):
        return "n/a", f"{subject.name} does not read {' and '.join(needs)}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            out = subject.run(case)
        except (ValueError, TypeError) as exc:
            message = str(exc)
            if re.search(case.error_words, message):
                return "error", f"{type(exc).__name__}: {message[:160]}"
            warned = [w for w in caught if issubclass(w.category, DOCUMENTED_WARNINGS)
                      and re.search(case.error_words, str(w.message))]
            if case.require == "warn_or_error" and warned:  # the warning said why before the error
                return "error", f"{warned[0].category.__name__}, then {type(exc).__name__}: {message[:120]}"
            return OBSCURE, f"{type(exc).__name__} not naming /{case.error_words}/: {message[:300]}"
        except Exception as exc:  # noqa: BLE001 - every other exception is the defect we look for
            return OBSCURE, f"{type(exc).__name__}: {str(exc)[:300]}"
    documented = [w for w in caught if issubclass(w.category, DOCUMENTED_WARNINGS)]
    nan_warnings = [w for w in caught if "NaN" in str(w.message)]
    if not _finite_arrays(out):
        if subject.keeps_values and case.reads == "X":
            return "result", "the values of X as they are"
        if case_name in subject.nan_documented_for:
            return "result", "NaN where the docstring says so"
        if nan_warnings:  # a NaN in the output, announced by a warning that says so
            return "warning", f"{nan_warnings[0].category.__name__}: {str(nan_warnings[0].message)[:160]}"
        return GARBAGE, "NaN or inf in the output"
    if case.require == "error":
        return GARBAGE, "a result where only an error is right" + (
            f" (warned: {documented[0].message})" if documented else "")
    if case.require == "warn_or_error":
        if documented and re.search(case.error_words, str(documented[-1].message)):
            return "warning", f"{documented[-1].category.__name__}: {str(documented[-1].message)[:160]}"
        return GARBAGE, "a result without the warning that -1 was read as the mask"
    if (_is_constant(out) and subject.kind != "reweighter" and case_name not in ("1 row", "1 target row")
            and not _is_constant(subject.run(_clean_case()))):
        return GARBAGE, "a constant output (the clean data gives a varying one)"
    if documented:
        return "warning", f"{documented[0].category.__name__}: {str(documented[0].message)[:160]}"
    return "result", ""


def _clean_case():
    X, yc, yr = _clean()
    return Case(X, yc, yr)


PAIRS = [(s, c) for s in SUBJECTS for c in CASES]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("subject_name, case_name", PAIRS, ids=[f"{s}-{c}" for s, c in PAIRS])
def test_bad_input_is_a_clear_error_a_documented_warning_or_a_correct_result(subject_name, case_name):
    result, detail = outcome(SUBJECTS[subject_name], case_name)
    assert result in ACCEPTED, f"{subject_name} on {case_name}: {result}: {detail}"


def test_the_matrix_covers_every_public_estimator():
    # the public estimators of sktransfer and its families are all subjects of the matrix
    names = set(sktransfer.__all__) | set(sktransfer._DEEP_EXPORTS if HAS_DEEP else ()) | (
        set(sktransfer._FEATURES_EXPORTS) - {"ImageBatchTransform"} if HAS_TORCH else set())
    estimators = {n for n in names if isinstance(getattr(sktransfer, n), type)
                  and hasattr(getattr(sktransfer, n), "fit") and n not in ("DAPipeline",)}
    covered = {name.split("(")[0] for name in SUBJECTS} | {"DAPipeline"}
    assert estimators <= covered | {"make_da_pipeline"}, sorted(estimators - covered)


def main():
    rows, totals = [], Counter()
    for subject_name in SUBJECTS:
        cells = []
        for case_name in CASES:
            result, detail = outcome(SUBJECTS[subject_name], case_name)
            totals[result] += 1
            cells.append({"error": "E", "warning": "W", "result": "ok", "n/a": "-"}.get(result, "**FAIL**"))
            if result not in ACCEPTED:
                print(f"# {subject_name} / {case_name}: {result}: {detail}", file=sys.stderr)
        rows.append(f"| {subject_name} | " + " | ".join(cells) + " |")
    print("E: clear error naming the problem; W: documented warning and a finite result; "
          "ok: finite result of the right shape; -: the case does not apply (the subject does not read "
          "labels, domains or predict-time rows).\n")
    print("| subject | " + " | ".join(CASES) + " |")
    print("|---" * (len(CASES) + 1) + "|")
    print("\n".join(rows))
    print("\n" + ", ".join(f"{k}: {v}" for k, v in sorted(totals.items())))


if __name__ == "__main__":
    main()
