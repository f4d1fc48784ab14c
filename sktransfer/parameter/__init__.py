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
"""

from ._regularized import RegularizedTransferClassifier, RegularizedTransferRegressor
from ._tradaboost import TrAdaBoostClassifier, TrAdaBoostR2

__all__ = [
    "RegularizedTransferClassifier",
    "RegularizedTransferRegressor",
    "TrAdaBoostClassifier",
    "TrAdaBoostR2",
]
