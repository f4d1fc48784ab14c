"""Parameter transfer with a few labelled target rows.

Labelled target rows are the rows with a label and a negative
``sample_domain`` (see :func:`sktransfer.stack_domains` with
``mask_target=False``); labelled rows with a positive one are source rows.

- :class:`RegularizedTransferClassifier`, :class:`RegularizedTransferRegressor`:
  linear models fitted on the target rows with the L2-SP penalty
  ``lam / 2 * ||w - w_source||^2`` toward a source model's coefficients.
- :class:`TrAdaBoostClassifier` (Dai et al. 2007), :class:`TrAdaBoostR2`
  (Pardoe & Stone 2010): boosting over source and target rows that fades out
  the source rows the target disagrees with.
- Few-shot transfer for any estimator (gradient boosting by default):
  :class:`ContinuedBoostingClassifier` / :class:`ContinuedBoostingRegressor`
  (target trees on top of the source model's raw score),
  :class:`FeatureAugmentationClassifier` / :class:`FeatureAugmentationRegressor`
  and the transformer :class:`FeatureAugmenter` (Daumé III 2007),
  :class:`SourceStackingClassifier` / :class:`SourceStackingRegressor`
  (the source score as a feature of a target model),
  :class:`PooledTransferClassifier` / :class:`PooledTransferRegressor`
  (source and up-weighted target rows in one fit), and the selector
  :class:`FewShotTransferClassifier` / :class:`FewShotTransferRegressor`,
  which chooses among them, source-only and target-only by repeated
  cross-validation on the target rows, and keeps the source model unless a
  strategy beats it by a margin.
"""

from ._augmentation import (
    FeatureAugmentationClassifier,
    FeatureAugmentationRegressor,
    FeatureAugmenter,
)
from ._offset_boosting import ContinuedBoostingClassifier, ContinuedBoostingRegressor
from ._pooling import PooledTransferClassifier, PooledTransferRegressor
from ._regularized import RegularizedTransferClassifier, RegularizedTransferRegressor
from ._selection import FewShotTransferClassifier, FewShotTransferRegressor
from ._stacking import SourceStackingClassifier, SourceStackingRegressor
from ._tradaboost import TrAdaBoostClassifier, TrAdaBoostR2

__all__ = [
    "ContinuedBoostingClassifier",
    "ContinuedBoostingRegressor",
    "FeatureAugmentationClassifier",
    "FeatureAugmentationRegressor",
    "FeatureAugmenter",
    "FewShotTransferClassifier",
    "FewShotTransferRegressor",
    "PooledTransferClassifier",
    "PooledTransferRegressor",
    "RegularizedTransferClassifier",
    "RegularizedTransferRegressor",
    "SourceStackingClassifier",
    "SourceStackingRegressor",
    "TrAdaBoostClassifier",
    "TrAdaBoostR2",
]
