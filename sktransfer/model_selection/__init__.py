"""Model selection without target labels: scorers and splitters for domain adaptation.

In unsupervised domain adaptation the target labels are unknown, so a grid
search scored on source accuracy tunes for the wrong domain. The scorers
here estimate the target score from what is known: held-out labelled source
rows reweighted toward the target (:class:`ImportanceWeightedScorer`,
:class:`DeepEmbeddedValidation`), the target predictions themselves
(:class:`PredictionEntropyScorer`, :class:`SoftNeighborhoodDensity`), or a
round trip source -> target -> source (:class:`ReverseValidation`). The
splitters keep labelled source rows and target rows in every validation fold
(:class:`DomainShuffleSplit`) or hold out one source domain at a time
(:class:`LeaveOneDomainOut`). All work in plain ``GridSearchCV``::

    GridSearchCV(pipe, grid, scoring=ImportanceWeightedScorer(), cv=DomainShuffleSplit())

Plain sklearn scorers (``scoring="roc_auc"``) read the ``-1`` mask as a
class and score NaN on stacked data: :class:`LabeledKFold` validates on
labelled rows only (the target rows stay in every training fold), and
:func:`labeled_scorer` drops the masked rows of any scorer::

    cross_val_score(pipe, X, y, scoring="roc_auc", cv=LabeledKFold())

:class:`TargetScorer` reads true target labels given apart, for evaluation
only. See ``docs/user_guide/model_selection.rst`` for which scorer to use when.
"""

from ._scorers import (
    DeepEmbeddedValidation,
    ImportanceWeightedScorer,
    PredictionEntropyScorer,
    ReverseValidation,
    SoftNeighborhoodDensity,
    TargetScorer,
    labeled_scorer,
)
from ._splitters import DomainShuffleSplit, LabeledKFold, LeaveOneDomainOut

__all__ = [
    "DeepEmbeddedValidation",
    "DomainShuffleSplit",
    "LabeledKFold",
    "ImportanceWeightedScorer",
    "LeaveOneDomainOut",
    "PredictionEntropyScorer",
    "ReverseValidation",
    "SoftNeighborhoodDensity",
    "TargetScorer",
    "labeled_scorer",
]
