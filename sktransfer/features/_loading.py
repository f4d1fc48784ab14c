"""Turn the ``model`` parameter of PretrainedFeatureExtractor into a runnable model.

``model`` may be a ``torch.nn.Module``, a local path (a sentence-transformers
or Hugging Face model directory, or a file saved with ``torch.save(module)``)
or a name:

- ``"torchvision:resnet18"``, ``"timm:resnet18"``: explicit libraries;
- ``"hf:bert-base-uncased"``, ``"sentence-transformers:all-MiniLM-L6-v2"``
  (alias ``"st:..."``): Hugging Face models, by hub id or local path;
- a bare name (``"resnet18"``) is looked up in torchvision, then in timm;
  ``"owner/name"`` is a Hugging Face hub id (sentence-transformers when the
  owner is ``sentence-transformers``, else ``transformers.AutoModel``).

A name with a library prefix is never read as a file, whatever the working
directory holds. A model file is read with ``torch.load(weights_only=True)``;
a whole pickled module (``torch.save(module)``) is unpickled only on the
explicit opt-in ``trust_pickled_model=True``, since unpickling runs code.

Every optional library is imported only when a name asks for it.
"""

import copy
import importlib
import importlib.metadata
import os
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

PREFIXES = {
    "torchvision": "torchvision",
    "tv": "torchvision",
    "timm": "timm",
    "hf": "transformers",
    "transformers": "transformers",
    "huggingface": "transformers",
    "st": "sentence-transformers",
    "sentence-transformers": "sentence-transformers",
}

OFFLINE_HINT = (
    "The model hub could not be reached (no network, or HF_HUB_OFFLINE / TORCH_HOME without the "
    "weights). Point `model` to local weights instead: a directory saved with "
    "`save_pretrained` / `SentenceTransformer.save` (model='/path/to/dir'), or an nn.Module you "
    "built and loaded yourself (model=module after module.load_state_dict(torch.load(path))); "
    "or fill the library's cache (HF_HOME for Hugging Face and timm, TORCH_HOME for torchvision) "
    "on a machine with network access."
)


class ModelLoadError(OSError):
    """A model could not be loaded (missing weights, unreachable hub).

    A subclass of :class:`OSError`, raised by :func:`load_model` (and so by
    the fit of :class:`PretrainedFeatureExtractor`).

    Examples
    --------
    >>> import os, tempfile
    >>> from sktransfer.features import ModelLoadError, load_model
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "broken.pt")
    ...     with open(path, "wb") as file:
    ...         _ = file.write(b"not a model")
    ...     try:
    ...         load_model(path)
    ...     except ModelLoadError as exc:
    ...         print(type(exc).__name__, isinstance(exc, OSError))
    ModelLoadError True
    """


@dataclass
class LoadedModel:
    """A model ready to run, with what the extractor needs to feed it.

    Attributes
    ----------
    module : nn.Module
        The network to run (in eval mode, frozen).
    modality : {"tensor", "text"}
        "text" models take lists of strings (tokenised here); others take tensors.
    source : str
        Where the model came from ("module", "torchvision", "timm",
        "transformers", "sentence-transformers", "file").
    preprocess : callable or None
        The library's own batch pre-processing of image tensors (resize,
        normalise), used when ``transform="auto"``.
    image_size : tuple of int or None
        The (height, width) the model expects, when the library says so.
    tokenizer : object or None
        The Hugging Face tokenizer of a text model.
    in_channels, in_features : int or None
        What the first Conv2d / Linear layer found expects. ``in_channels``
        checks images early; ``in_features`` is only a hint, named in the error
        when the module fails on the rows (a module may compute before its
        first Linear, or apply its first registered Linear later).
    """

    module: nn.Module
    modality: str = "tensor"
    source: str = "module"
    preprocess: Optional[Callable] = None
    image_size: Optional[tuple] = None
    tokenizer: Any = None
    max_length: Optional[int] = None
    in_channels: Optional[int] = None
    in_features: Optional[int] = None
    extra: dict = field(default_factory=dict)


class ImageBatchTransform:
    """Resize (bilinear) and normalise a float image batch of shape (N, C, H, W).

    A picklable batch transform for :class:`PretrainedFeatureExtractor`.

    Parameters
    ----------
    size : int or tuple of (int, int), default=None
        Output (height, width); None keeps the size.
    mean, std : sequence of float, default=None
        Per-channel normalisation ``(x - mean) / std``; None skips it.
    center_crop : int or tuple of (int, int), default=None
        Crop the centre to this size after resizing.

    Raises
    ------
    ValueError
        When a size is not a positive int or pair of positive ints, a std
        value is not strictly positive, mean or std are not finite numbers,
        or their lengths differ (each has one value per channel, or a single
        value). Called, when the images have another number of channels than
        mean and std have values.

    Examples
    --------
    >>> from sktransfer.features import ImageBatchTransform
    >>> ImageBatchTransform(size=28, mean=[0.1307], std=[0.3081])
    ImageBatchTransform(size=(28, 28), mean=(0.1307,), std=(0.3081,), center_crop=None)
    """

    def __init__(self, size=None, mean=None, std=None, center_crop=None):
        # a plain callable, not an sklearn estimator: its arguments are checked here
        self.size = _pair(size, "size")
        self.mean = _channel_values(mean, "mean")
        self.std = _channel_values(std, "std")
        self.center_crop = _pair(center_crop, "center_crop")
        if (self.mean is None) != (self.std is None):
            raise ValueError("ImageBatchTransform: give both mean and std, or neither.")
        if self.std is not None:
            if any(value <= 0 for value in self.std):
                raise ValueError(
                    f"ImageBatchTransform: std must be strictly positive (it divides the images), "
                    f"got std={self.std}."
                )
            if len(self.mean) != len(self.std) and 1 not in (len(self.mean), len(self.std)):
                raise ValueError(
                    f"ImageBatchTransform: mean has {len(self.mean)} values and std {len(self.std)}; "
                    "give one value per channel for both (or a single value, used for every channel)."
                )

    def __repr__(self):
        return (f"ImageBatchTransform(size={self.size}, mean={self.mean}, std={self.std}, "
                f"center_crop={self.center_crop})")

    def __call__(self, images):
        if images.ndim != 4:
            raise ValueError(
                f"ImageBatchTransform expects images of shape (N, C, H, W), got shape {tuple(images.shape)}."
            )
        if self.size is not None and tuple(images.shape[-2:]) != self.size:
            images = nn.functional.interpolate(images, size=self.size, mode="bilinear",
                                               align_corners=False, antialias=True)
        if self.center_crop is not None:
            height, width = images.shape[-2:]
            crop_h, crop_w = self.center_crop
            top, left = max(0, (height - crop_h) // 2), max(0, (width - crop_w) // 2)
            images = images[..., top:top + crop_h, left:left + crop_w]
        if self.mean is not None:
            for name, values in (("mean", self.mean), ("std", self.std)):
                if len(values) not in (1, images.shape[1]):
                    raise ValueError(
                        f"ImageBatchTransform has {len(values)} channel {name} values but the images "
                        f"have {images.shape[1]} channels; give {images.shape[1]} values (or one)."
                    )
            mean = torch.tensor(self.mean, dtype=images.dtype, device=images.device).view(1, -1, 1, 1)
            std = torch.tensor(self.std, dtype=images.dtype, device=images.device).view(1, -1, 1, 1)
            images = (images - mean) / std
        return images


def _pair(size, name="size"):
    """``size`` as a (height, width) pair of positive ints, or None."""
    if size is None:
        return None
    values = (size, size) if _is_int(size) else size
    try:
        values = tuple(values)
    except TypeError:
        values = ()
    if len(values) != 2 or not all(_is_int(value) and value > 0 for value in values):
        raise ValueError(
            f"ImageBatchTransform: {name} must be a positive int or a (height, width) pair of "
            f"positive ints, got {size!r}."
        )
    return tuple(int(value) for value in values)


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def _channel_values(values, name):
    """``values`` (per-channel mean or std) as a non-empty tuple of finite floats, or None."""
    if values is None:
        return None
    try:
        floats = tuple(float(value) for value in np.ravel(values))
    except (TypeError, ValueError):
        floats = ()
    if not floats or not all(np.isfinite(floats)):
        raise ValueError(
            f"ImageBatchTransform: {name} must be a non-empty sequence of finite numbers (one per "
            f"channel, or a single one for every channel), got {values!r}."
        )
    return floats


def _installed_versions():
    versions = [f"torch {torch.__version__}"]
    for package in ("torchvision", "torchaudio"):
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return ", ".join(versions)


def _broken_library_error(name, exc):
    """ImportError for an optional library that is installed but fails to import with
    something else than an ImportError (a torch / torchvision mismatch, typically)."""
    return ImportError(
        f"the optional package {name!r} is installed but broken: importing it fails with "
        f"{type(exc).__name__}: {exc}. This usually means that torch and a library built against "
        f"it (torchvision, torchaudio) come from releases that do not match (installed: "
        f"{_installed_versions()}), e.g. after torch was upgraded alone. Install a matching pair, "
        "e.g. `pip install torch==2.14.1 torchvision==0.29.1` (the pairs are listed at "
        "https://github.com/pytorch/vision#installation), then restart Python."
    )


def _import_optional(name, extra):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"this model needs the optional package {name!r}, which is not installed "
            f"(or does not import: {exc}). pip install {extra}"
        ) from exc
    except Exception as exc:  # noqa: BLE001 - e.g. RuntimeError of a torchvision built for another torch
        raise _broken_library_error(name, exc) from exc


def first_layer_expectations(module):
    """(in_channels of the first Conv2d, in_features of the first Linear if it
    comes before any convolution), or None where unknown.

    The first layer *registered*, not necessarily the first applied: a hint.
    """
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            return layer.in_channels, None
        if isinstance(layer, nn.Linear) and not isinstance(layer, nn.modules.lazy.LazyModuleMixin):
            return None, layer.in_features
        if isinstance(layer, (nn.Conv1d, nn.Conv3d, nn.Embedding, nn.RNNBase, nn.MultiheadAttention)):
            return None, None
    return None, None


def load_model(model, model_kwargs=None, *, trust_pickled_model=False):
    """Resolve ``model`` into a :class:`LoadedModel` (a private copy, in eval mode).

    Parameters
    ----------
    model : nn.Module, str or path-like
        A module, a (prefixed) model name or a local path; see
        :class:`PretrainedFeatureExtractor`.
    model_kwargs : dict, default=None
        Passed to the library loader of a named model.
    trust_pickled_model : bool, default=False
        Allow a model file that holds a whole pickled module (saved with
        ``torch.save(module)``) to be unpickled. **Unpickling runs arbitrary
        code from the file**: set it only for files you made or trust. By
        default model files are read with ``torch.load(weights_only=True)``,
        which reads tensors and state dicts and refuses anything else.

    Returns
    -------
    loaded : LoadedModel

    Raises
    ------
    TypeError
        If ``model`` is neither an nn.Module, a string nor a path.
    ValueError
        If a name is unknown to every library that could serve it.
    ImportError
        If the library a name needs is not installed, or is installed but
        fails to import (e.g. a torchvision built for another torch).
    ModelLoadError
        If the weights cannot be found or downloaded, or a model file holds a
        pickled module and ``trust_pickled_model`` is False.

    Examples
    --------
    >>> from torch import nn
    >>> from sktransfer.features import load_model
    >>> loaded = load_model(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()))
    >>> loaded.source, loaded.modality, loaded.in_channels, loaded.module.training
    ('module', 'tensor', 3, False)
    """
    kwargs = dict(model_kwargs or {})
    if isinstance(model, nn.Module):
        if kwargs:
            raise ValueError(
                f"model_kwargs {sorted(kwargs)} only apply to models loaded by name or path, "
                "not to an nn.Module."
            )
        # a copy: fit must leave the user's module (its training flag, its device) untouched
        loaded = LoadedModel(module=copy.deepcopy(model), source="module")
    elif isinstance(model, (str, os.PathLike)):
        loaded = _load_by_name(model, kwargs, trust_pickled_model)
    else:
        raise TypeError(
            "model must be a torch.nn.Module, a model name (e.g. 'torchvision:resnet18', "
            f"'timm:resnet18', 'sentence-transformers/all-MiniLM-L6-v2') or a local path; "
            f"got {type(model).__name__}."
        )
    loaded.module.eval()
    for parameter in loaded.module.parameters():
        parameter.requires_grad_(False)
    if loaded.modality != "text":
        loaded.in_channels, loaded.in_features = first_layer_expectations(loaded.module)
    return loaded


def _load_by_name(model, kwargs, trust_pickled_model=False):
    text = os.fspath(model)
    prefix, sep, name = text.partition(":")
    if not isinstance(model, os.PathLike) and sep and prefix.lower() in PREFIXES:
        # a prefixed name is never a file, even when one of that name exists here
        if not name:
            raise ValueError(f"model name {text!r} has a library prefix but no name after the colon.")
        return _LOADERS[PREFIXES[prefix.lower()]](name, kwargs)
    path = Path(text).expanduser()
    if path.exists():
        return _load_local_path(path, kwargs, trust_pickled_model)
    if isinstance(model, os.PathLike) or text.startswith((".", "/", "~")):
        raise FileNotFoundError(f"model path {text!r} does not exist.")
    if "/" in text:
        if text.lower().startswith("sentence-transformers/"):
            return _load_sentence_transformers(text, kwargs)
        return _load_transformers(text, kwargs)
    return _load_bare_name(text, kwargs)


def _load_bare_name(name, kwargs):
    tried, broken = [], []
    for library in ("torchvision", "timm"):
        try:
            module = importlib.import_module(library)
        except ImportError:
            tried.append(f"{library} (not installed)")
            continue
        except Exception as exc:  # noqa: BLE001 - e.g. a torchvision built for another torch
            tried.append(f"{library} (installed but broken)")
            broken.append((library, exc))
            continue
        if library == "torchvision":
            known = name in module.models.list_models()
        else:
            known = bool(module.list_models(name))
        if known:
            return _LOADERS[library](name, kwargs)
        tried.append(library)
    if broken:
        # the name may well be a model of the library that does not import: say so, not "unknown"
        library, exc = broken[0]
        raise _broken_library_error(library, exc) from exc
    raise ValueError(
        f"unknown model name {name!r}: not a torchvision or timm model (looked in: {', '.join(tried)}), "
        "not a local path, and not a Hugging Face hub id ('owner/name'). Use a prefix to be explicit "
        "('torchvision:NAME', 'timm:NAME', 'hf:ID', 'sentence-transformers:ID') or pass an nn.Module."
    )


def _hub_error(library, name, exc):
    return ModelLoadError(f"could not load {library} model {name!r}: {exc}\n{OFFLINE_HINT}")


def _is_unknown_name_error(exc):
    message = str(exc).lower()
    return "unknown model" in message or "not a valid model identifier" in message


def _load_torchvision(name, kwargs):
    torchvision = _import_optional("torchvision", "torchvision (or 'sktransfer[vision]')")
    if name not in torchvision.models.list_models():
        raise ValueError(f"unknown model name {name!r}: torchvision has no model of that name.")
    weights = kwargs.setdefault("weights", "DEFAULT")
    preprocess = image_size = None
    if isinstance(weights, str):
        try:
            weights = torchvision.models.get_model_weights(name)[weights]
        except (KeyError, ValueError):
            raise ValueError(f"torchvision model {name!r} has no weights {weights!r}.") from None
    if weights is not None:
        preprocess, image_size = _torchvision_preprocess(weights)
    try:
        module = torchvision.models.get_model(name, **kwargs)
    except (OSError, RuntimeError) as exc:  # urllib's URLError is an OSError
        raise _hub_error("torchvision", name, exc) from exc
    return LoadedModel(module=module, source="torchvision", preprocess=preprocess, image_size=image_size)


def _torchvision_preprocess(weights):
    """ImageBatchTransform equivalent of a torchvision weights' transforms (resize,
    centre crop, ImageNet normalisation): it runs on batched tensors."""
    try:
        preset = weights.transforms()
    except Exception:  # noqa: BLE001 - weights given as a plain string or a path
        return None, None
    crop = _pair(getattr(preset, "crop_size", [224])[0])
    resize = getattr(preset, "resize_size", [256])[0]
    mean = tuple(getattr(preset, "mean", IMAGENET_MEAN))
    std = tuple(getattr(preset, "std", IMAGENET_STD))
    return ImageBatchTransform(size=resize, mean=mean, std=std, center_crop=crop), crop


def _load_timm(name, kwargs):
    timm = _import_optional("timm", "timm")
    if not timm.list_models(name):
        raise ValueError(f"unknown model name {name!r}: timm has no model of that name.")
    kwargs.setdefault("pretrained", True)
    try:
        module = timm.create_model(name, **kwargs)
    except RuntimeError as exc:
        if _is_unknown_name_error(exc):
            raise ValueError(f"unknown model name {name!r}: {exc}") from exc
        raise _hub_error("timm", name, exc) from exc
    except OSError as exc:
        raise _hub_error("timm", name, exc) from exc
    config = getattr(module, "pretrained_cfg", None) or getattr(module, "default_cfg", None) or {}
    input_size = config.get("input_size", (3, 224, 224))
    image_size = tuple(input_size[-2:])
    crop_pct = config.get("crop_pct", 0.875) or 1.0
    resize = tuple(int(round(side / crop_pct)) for side in image_size)
    preprocess = ImageBatchTransform(size=resize, mean=config.get("mean", IMAGENET_MEAN),
                                     std=config.get("std", IMAGENET_STD), center_crop=image_size)
    return LoadedModel(module=module, source="timm", preprocess=preprocess, image_size=image_size)


def _load_transformers(name, kwargs):
    transformers = _import_optional("transformers", "transformers (or 'sktransfer[text]')")
    max_length = kwargs.pop("max_length", None)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(name, **kwargs)
        module = transformers.AutoModel.from_pretrained(name, **kwargs)
    except OSError as exc:  # huggingface_hub's offline/not-found errors are OSErrors
        raise _hub_error("Hugging Face transformers", name, exc) from exc
    return LoadedModel(module=module, modality="text", source="transformers",
                       tokenizer=tokenizer, max_length=max_length)


class _SentenceEncoder(nn.Module):
    """A sentence-transformers model as a plain module: tokenised features in,
    the sentence embedding out (so that layer hooks and devices work as for any module)."""

    def __init__(self, sentence_model):
        super().__init__()
        self.sentence_model = sentence_model

    def forward(self, features):
        return self.sentence_model(features)["sentence_embedding"]


def _load_sentence_transformers(name, kwargs):
    sentence_transformers = _import_optional(
        "sentence_transformers", "sentence-transformers (or 'sktransfer[text]')")
    kwargs.setdefault("device", "cpu")
    try:
        sentence_model = sentence_transformers.SentenceTransformer(name, **kwargs)
    except OSError as exc:
        raise _hub_error("sentence-transformers", name, exc) from exc
    return LoadedModel(module=_SentenceEncoder(sentence_model), modality="text",
                       source="sentence-transformers", tokenizer=sentence_model.tokenizer,
                       max_length=getattr(sentence_model, "max_seq_length", None),
                       extra={"sentence_model": sentence_model})


def _load_local_path(path, kwargs, trust_pickled_model=False):
    if path.is_dir():
        if (path / "modules.json").exists():
            return _load_sentence_transformers(str(path), kwargs)
        if (path / "config.json").exists():
            return _load_transformers(str(path), kwargs)
        raise ValueError(
            f"model directory {str(path)!r} is neither a sentence-transformers model (no modules.json) "
            "nor a Hugging Face model (no config.json)."
        )
    module = _read_pickled_model(path) if trust_pickled_model else _read_weights(path)
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"the model file {str(path)!r} holds a {type(module).__name__}, not an nn.Module. For a "
            "state dict, build the architecture, load the weights "
            "(module.load_state_dict(torch.load(path, weights_only=True))) "
            "and pass the module as `model`."
        )
    if kwargs:
        raise ValueError(f"model_kwargs {sorted(kwargs)} do not apply to a model file.")
    return LoadedModel(module=module, source="file")


def _read_weights(path):
    """Read a model file with ``weights_only=True``: tensors and containers of them only."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - a pickled module, a corrupt file, ...
        raise ModelLoadError(
            f"could not read the model file {str(path)!r} as weights (torch.load with "
            f"weights_only=True): {_weights_only_reason(exc)}.\n"
            "If the file holds a whole module saved with torch.save(module) and you trust where it "
            "came from, pass trust_pickled_model=True: unpickling it runs arbitrary code from the file. "
            "Safer: save a state dict (torch.save(module.state_dict(), path)), build the architecture, "
            "load it (module.load_state_dict(torch.load(path, weights_only=True))) and pass the module "
            "as `model`. (A name such as 'resnet18' is read as a file when one of that name exists; "
            "write 'torchvision:resnet18' for the library's model.)"
        ) from exc


def _weights_only_reason(exc):
    """The one line of torch's (long) weights_only error that says what was refused."""
    message = str(exc)
    marker = "WeightsUnpickler error:"
    if marker in message:
        message = message.split(marker, 1)[1]
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    reason = lines[0] if lines else type(exc).__name__
    return reason.split(". Please use")[0].rstrip(".")


def _read_pickled_model(path):
    """Unpickle a whole module saved with ``torch.save(module)``: runs code from the file."""
    try:
        # needs the module's class importable
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - corrupt file, pickle of a missing class, ...
        raise ModelLoadError(f"could not read the model file {str(path)!r}: {exc}") from exc


_LOADERS = {
    "torchvision": _load_torchvision,
    "timm": _load_timm,
    "transformers": _load_transformers,
    "sentence-transformers": _load_sentence_transformers,
}
