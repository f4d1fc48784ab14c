"""Instance reweighting: importance weights that make source rows look like target rows."""

from ._domain_classifier import DomainClassifierWeighting
from ._kliep import KLIEP
from ._kmm import KernelMeanMatching
from ._nearest_neighbors import NearestNeighborsWeighting
from ._weighted import ImportanceWeightedClassifier, ImportanceWeightedRegressor

__all__ = [
    "DomainClassifierWeighting",
    "ImportanceWeightedClassifier",
    "ImportanceWeightedRegressor",
    "KLIEP",
    "KernelMeanMatching",
    "NearestNeighborsWeighting",
]
