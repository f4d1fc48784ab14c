"""sklearn's estimator checks over every public sktransfer estimator."""

import pytest
from sklearn.base import is_classifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from _expected_failures import MASKED_LABEL_REASON

from sktransfer import (
    CORAL,
    DomainStandardScaler,
    JointDistributionAdaptation,
    LabeledOnly,
    RegularizedTransferClassifier,
    RegularizedTransferRegressor,
    SubspaceAlignment,
    TrAdaBoostClassifier,
    TrAdaBoostR2,
    TransferComponentAnalysis,
    make_da_pipeline,
)
from sktransfer.reweighting import (
    KLIEP,
    DomainClassifierWeighting,
    ImportanceWeightedClassifier,
    ImportanceWeightedRegressor,
    KernelMeanMatching,
    NearestNeighborsWeighting,
)

# Checks fit on fully labelled data with no target rows: the domain module's
# documented fallback (the source is its own target, with a DomainWarning)
# lets them run instead of failing on the first fit.
ESTIMATORS = [
    CORAL(),
    CORAL(reg=0.0),
    DomainStandardScaler(),
    TransferComponentAnalysis(n_components=2),
    TransferComponentAnalysis(n_components=2, kernel="rbf", n_landmarks=10, random_state=0),
    JointDistributionAdaptation(n_components=2, n_iter=2),
    SubspaceAlignment(n_components=1),
    DomainClassifierWeighting(random_state=0),
    KLIEP(n_centers=10, random_state=0),
    NearestNeighborsWeighting(),
    KernelMeanMatching(),
    KernelMeanMatching(kernel="linear"),
    KernelMeanMatching(kernel="poly", n_landmarks=10, random_state=0),
    ImportanceWeightedClassifier(),
    ImportanceWeightedRegressor(),
    LabeledOnly(LogisticRegression()),
    LabeledOnly(Ridge()),
    make_da_pipeline(StandardScaler(), CORAL(), LogisticRegression()),
    make_da_pipeline(CORAL(), Ridge()),
    RegularizedTransferClassifier(),
    RegularizedTransferRegressor(),
    TrAdaBoostClassifier(n_estimators=10, random_state=0),
    TrAdaBoostR2(n_estimators=5, n_steps=3, n_folds=3, random_state=0),
    make_da_pipeline(StandardScaler(), RegularizedTransferClassifier(lam=10.0)),
]

PIPELINE_REASON = (
    "a Pipeline fits the estimators of its `steps` parameter in place; sklearn "
    "lists the same expected failure for its own Pipeline"
)


NO_TARGET_ITERATIONS_REASON = (
    "the checks fit without sample_domain, so there is no labelled target row: the model "
    "is the source model (the documented fallback) and no L-BFGS iteration runs, so n_iter_ is 0"
)
TREE_TIES_REASON = (
    "the default DecisionTreeClassifier breaks ties between equally good splits with random "
    "draws that depend on the number of rows, so repeating rows instead of weighting them can "
    "change a later round's tree; with a LogisticRegression base estimator the check passes"
)


def _expected_failed_checks(estimator):
    failures = {}
    if isinstance(estimator, RegularizedTransferClassifier):
        failures["check_non_transformer_estimators_n_iter"] = NO_TARGET_ITERATIONS_REASON
    if isinstance(estimator, TrAdaBoostClassifier) and estimator.estimator is None:
        failures["check_sample_weight_equivalence_on_dense_data"] = TREE_TIES_REASON
    if is_classifier(estimator):
        failures["check_classifiers_classes"] = MASKED_LABEL_REASON
    if isinstance(estimator, Pipeline):
        failures["check_estimators_overwrite_params"] = PIPELINE_REASON
        failures["check_dont_overwrite_parameters"] = PIPELINE_REASON
    return failures


# the fallback warns on every fit of the checks; that warning is tested elsewhere
@pytest.mark.filterwarnings("ignore::sktransfer.DomainWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
