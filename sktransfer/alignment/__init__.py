"""Alignment transformers: map source and target rows into a shared space."""

from ._coral import CORAL
from ._domain_scaler import DomainStandardScaler
from ._jda import JointDistributionAdaptation
from ._subspace import SubspaceAlignment
from ._tca import TransferComponentAnalysis

__all__ = [
    "CORAL",
    "DomainStandardScaler",
    "JointDistributionAdaptation",
    "SubspaceAlignment",
    "TransferComponentAnalysis",
]
