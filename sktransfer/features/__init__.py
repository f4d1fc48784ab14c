"""Features of pretrained networks: :class:`PretrainedFeatureExtractor`.

Needs torch (``pip install 'sktransfer[deep]'``); models by name need their
library (torchvision, timm, transformers, sentence-transformers), imported
only when a name asks for it. ``import sktransfer`` itself never imports torch.
"""

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "sktransfer.features needs torch: pip install 'sktransfer[deep]' (or pip install torch)."
    ) from exc

from ._cache import FeatureCache
from ._extractor import PretrainedFeatureExtractor
from ._loading import ImageBatchTransform, ModelLoadError, load_model

__all__ = [
    "FeatureCache",
    "ImageBatchTransform",
    "ModelLoadError",
    "PretrainedFeatureExtractor",
    "load_model",
]
