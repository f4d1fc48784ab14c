"""Deep domain adaptation on skorch: DANN, DeepCORAL and MMD alignment.

Needs torch and skorch (``pip install 'sktransfer[deep]'``); ``import
sktransfer`` itself never imports them.

- :class:`DomainAdversarialClassifier`, :class:`DomainAdversarialRegressor`:
  DANN, a domain head behind gradient reversal (Ganin & Lempitsky);
- :class:`DomainAlignmentClassifier`, :class:`DomainAlignmentRegressor`:
  the same networks with a DeepCORAL or multi-kernel MMD loss;
- :class:`MLP` (the default, sized from the data) and :class:`SmallCNN`
  feature extractors; any ``torch.nn.Module`` works, set through
  ``module__*`` parameters.
"""

try:
    import skorch  # noqa: F401
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        f"sktransfer.deep needs torch and skorch ({exc.name} is missing): "
        "pip install 'sktransfer[deep]'."
    ) from exc

from ._alignment import DomainAlignmentClassifier, DomainAlignmentRegressor, coral_loss, mmd_loss
from ._base import BaseDomainNet, DomainBalancedBatchSampler, DomainDataset
from ._callbacks import AdaptationSchedule, ganin_lambda, ganin_lr_factor
from ._dann import (
    DomainAdversarialClassifier,
    DomainAdversarialRegressor,
    GradientReversal,
    grad_reverse,
)
from ._finetune import BackboneFeatures, FineTunedClassifier, FineTunedRegressor
from ._modules import MLP, DomainAdaptationNetwork, SmallCNN

__all__ = [
    "AdaptationSchedule",
    "BackboneFeatures",
    "BaseDomainNet",
    "DomainAdaptationNetwork",
    "DomainAdversarialClassifier",
    "DomainAdversarialRegressor",
    "DomainAlignmentClassifier",
    "DomainAlignmentRegressor",
    "DomainBalancedBatchSampler",
    "DomainDataset",
    "FineTunedClassifier",
    "FineTunedRegressor",
    "GradientReversal",
    "MLP",
    "SmallCNN",
    "coral_loss",
    "ganin_lambda",
    "ganin_lr_factor",
    "grad_reverse",
    "mmd_loss",
]
