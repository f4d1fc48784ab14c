"""sktransfer: transfer learning and domain adaptation for scikit-learn.

Source and target rows are stacked in one ``X``; unlabelled target rows carry
``y = -1`` (or ``NaN`` for regression); an optional ``sample_domain`` gives the
domain of each row (positive: source, negative: target). See
:func:`stack_domains`.

Importing sktransfer imports neither torch nor anything that changes
sklearn's global configuration.
"""

from ._domain import (
    DomainWarning,
    check_sample_domain,
    derive_sample_domain,
    fit_domains,
    predict_domains,
    stack_domains,
    unlabeled_mask,
    unstack_domains,
)
from .alignment import (
    CORAL,
    DomainStandardScaler,
    JointDistributionAdaptation,
    SubspaceAlignment,
    TransferComponentAnalysis,
)
from .parameter import (
    FewShotTransferClassifier,
    FewShotTransferRegressor,
    RegularizedTransferClassifier,
    RegularizedTransferRegressor,
    TrAdaBoostClassifier,
    TrAdaBoostR2,
)
from .reweighting import (
    KLIEP,
    DomainClassifierWeighting,
    ImportanceWeightedClassifier,
    ImportanceWeightedRegressor,
    KernelMeanMatching,
    NearestNeighborsWeighting,
)
from .pipeline import DAPipeline, DegenerateWeightsWarning, LabeledOnly, make_da_pipeline
from . import model_selection  # noqa: F401  (DA scorers and splitters, as sklearn.model_selection)

# The deep estimators need torch and skorch (pip install 'sktransfer[deep]'):
# they are imported on first access, so that `import sktransfer` stays torch-free.
_DEEP_EXPORTS = (
    "DomainAdversarialClassifier",
    "DomainAdversarialRegressor",
    "DomainAlignmentClassifier",
    "DomainAlignmentRegressor",
    "FineTunedClassifier",
    "FineTunedRegressor",
)
# The pretrained-feature transformer needs torch only (pip install 'sktransfer[features]').
_FEATURES_EXPORTS = ("PretrainedFeatureExtractor", "ImageBatchTransform")


def __getattr__(name):
    if name in _DEEP_EXPORTS:
        from . import deep  # raises a clear ImportError when torch or skorch is missing

        return getattr(deep, name)
    if name in _FEATURES_EXPORTS:
        from . import features  # raises a clear ImportError when torch is missing

        return getattr(features, name)
    raise AttributeError(f"module 'sktransfer' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_DEEP_EXPORTS) | set(_FEATURES_EXPORTS))

__version__ = "0.1.0"

__all__ = [
    "KLIEP",
    "DomainClassifierWeighting",
    "ImportanceWeightedClassifier",
    "ImportanceWeightedRegressor",
    "KernelMeanMatching",
    "NearestNeighborsWeighting",
    "CORAL",
    "DAPipeline",
    "DegenerateWeightsWarning",
    "DomainStandardScaler",
    "DomainWarning",
    "JointDistributionAdaptation",
    "LabeledOnly",
    "FewShotTransferClassifier",
    "FewShotTransferRegressor",
    "RegularizedTransferClassifier",
    "RegularizedTransferRegressor",
    "TrAdaBoostClassifier",
    "TrAdaBoostR2",
    "SubspaceAlignment",
    "TransferComponentAnalysis",
    "check_sample_domain",
    "derive_sample_domain",
    "fit_domains",
    "make_da_pipeline",
    "predict_domains",
    "stack_domains",
    "unlabeled_mask",
    "unstack_domains",
]
