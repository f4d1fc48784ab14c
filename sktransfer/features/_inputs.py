"""Recognise what the user passed to PretrainedFeatureExtractor and cut it into batches.

Kinds of input:

- ``"array"``: a numpy array, torch tensor or array-like of numbers: tabular
  rows (N, F), grey images (N, H, W), images (N, C, H, W) or (N, H, W, C);
- ``"images"``: image file paths (str or ``pathlib.Path``) or PIL images,
  read (in DataLoader workers) and brought to one size;
- ``"text"``: strings, for text models;
- ``"stream"``: an iterator of chunks (each chunk any of the above) or a dask
  array: the data larger than memory, transformed chunk by chunk.

A pandas Series (one column) is its values; a one-column DataFrame of objects
is that column (what ColumnTransformer passes for ``["text"]``).
"""

import hashlib
from numbers import Number
import os
from collections.abc import Iterator

import numpy as np
import torch


class InputSource:
    """One recognised input: its kind, length and a way to cut it into batches."""

    def __init__(self, kind, data, n_samples=None, channels_last=False):
        self.kind = kind
        self.data = data
        self.n_samples = n_samples
        self.channels_last = channels_last

    @property
    def is_tabular(self):
        return self.kind == "array" and self.data.ndim == 2

    def slice(self, start, stop):
        """Samples ``start:stop``, as an InputSource of the same kind."""
        data = self.data[start:stop]
        return InputSource(self.kind, data, len(data), self.channels_last)

    def take(self, n):
        return self.slice(0, n)

    def update_digest(self, digest):
        """Feed the input's identity into a hashlib object (for the feature cache)."""
        digest.update(f"{self.kind}:{self.n_samples}:{self.channels_last}".encode())
        if self.kind == "array":
            array = self.data
            digest.update(f"{array.shape}{array.dtype}".encode())
            rows_per_block = max(1, (1 << 24) // max(1, array[:1].nbytes))
            for start in range(0, len(array), rows_per_block):
                digest.update(np.ascontiguousarray(array[start:start + rows_per_block]).data)
        elif self.kind == "text":
            for text in self.data:
                digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
        else:  # images: a path by its name, size and modification time; a PIL image by its pixels
            for item in self.data:
                if isinstance(item, (str, os.PathLike)):
                    try:
                        stat = os.stat(item)
                        digest.update(f"{os.fspath(item)}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())
                    except OSError as exc:
                        raise FileNotFoundError(f"cannot read image file {os.fspath(item)!r}: {exc}") from exc
                else:
                    digest.update(f"{item.mode}{item.size}".encode())
                    digest.update(item.tobytes())

    def array_batches(self, batch_size):
        """Yield float32 tensors of ``batch_size`` rows of an ``"array"`` input
        (uint8 images scaled to [0, 1]; grey (N, H, W) images given a channel axis;
        NHWC turned into NCHW)."""
        array = self.data
        for start in range(0, len(array), batch_size):
            yield _to_float_tensor(array[start:start + batch_size], self.channels_last)


def _to_float_tensor(chunk, channels_last):
    if isinstance(chunk, torch.Tensor):
        tensor = chunk.detach()
        is_uint8 = tensor.dtype == torch.uint8
    else:
        chunk = np.asarray(chunk)
        is_uint8 = chunk.dtype == np.uint8
        if chunk.dtype != np.float32 or not chunk.flags.writeable:
            # a read-only array (a memmap, a broadcast view) would make torch warn
            chunk = np.array(chunk, dtype=np.float32)
        tensor = torch.from_numpy(chunk)
    tensor = tensor.float()
    if is_uint8:
        tensor = tensor / 255.0
    if tensor.ndim == 3:
        tensor = tensor.unsqueeze(1)
    elif tensor.ndim == 4 and channels_last:
        tensor = tensor.permute(0, 3, 1, 2)
    return tensor.contiguous()


def _type_label(item):
    if isinstance(item, str):
        return "str"
    if isinstance(item, os.PathLike):
        return "path"
    if _is_pil_image(item):
        return "PIL.Image"
    if isinstance(item, (np.ndarray, torch.Tensor)):
        return "array"
    return type(item).__name__


def _is_pil_image(item):
    module = type(item).__module__ or ""
    return module.startswith("PIL.") and hasattr(item, "convert") and hasattr(item, "size")


def _is_dask_array(X):
    return type(X).__module__.startswith("dask.array") and hasattr(X, "blocks")


def _is_stream(X):
    return isinstance(X, Iterator) or _is_dask_array(X)


def _unwrap_pandas(X):
    module = type(X).__module__ or ""
    if not module.startswith("pandas"):
        return X
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    if hasattr(X, "columns"):  # DataFrame
        if X.shape[1] == 1 and not (is_numeric_dtype(X.dtypes.iloc[0]) or is_bool_dtype(X.dtypes.iloc[0])):
            return list(X.iloc[:, 0])
        return X  # numeric table: validate_data keeps its column names
    if not (is_numeric_dtype(X.dtype) or is_bool_dtype(X.dtype)):  # Series of str, paths, images
        return list(X)
    return X.to_numpy()


def prepare_input(X, *, modality, in_channels=None, in_features=None):
    """Recognise ``X``: returns an :class:`InputSource`.

    Parameters
    ----------
    X : input of the extractor.
    modality : {"tensor", "text"}
        What the model takes: strings are text for a text model, image paths otherwise.
    in_channels, in_features : int or None
        What the model's first layer expects, to check images and rows early.

    Raises
    ------
    TypeError
        For mixed or unsupported input types.
    ValueError
        For arrays of a shape or number of channels the model cannot take.
    """
    if _is_stream(X):
        return InputSource("stream", X)
    if isinstance(X, (str, bytes, os.PathLike)):
        raise TypeError(
            f"X is a single {type(X).__name__}; pass a list of them (one per sample), "
            "e.g. [path] or [text]."
        )
    if type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(
            "Sparse data was passed for X, but dense data is required: sparse input is not supported. "
            "Use X.toarray() to convert to a dense numpy array."
        )
    X = _unwrap_pandas(X)
    if isinstance(X, (list, tuple)) and X and all(
            isinstance(item, (list, tuple, Number)) and not isinstance(item, bool) for item in X):
        X = np.asarray(X)  # nested lists of numbers: an array
    if isinstance(X, (list, tuple)):
        return _prepare_list(list(X), modality, in_channels, in_features)
    if isinstance(X, torch.Tensor) or hasattr(X, "__array__") or hasattr(X, "shape"):
        if not isinstance(X, torch.Tensor) and not hasattr(X, "columns"):
            X = np.asarray(X)
            if X.dtype.kind in "OUS" and X.ndim <= 2 and (X.ndim == 1 or X.shape[1] == 1):
                return _prepare_list(list(X.ravel()), modality, in_channels, in_features)
        return _prepare_array(X, modality, in_channels, in_features)
    raise TypeError(
        f"unsupported input type {type(X).__name__}: expected a numpy array or torch tensor, a list of "
        "image paths, PIL images or strings, a pandas column, an iterator of chunks or a dask array."
    )


def _prepare_list(items, modality, in_channels, in_features):
    if not items:
        raise ValueError("X is empty: found 0 samples, while a minimum of 1 is required.")
    labels = [_type_label(item) for item in items]
    kinds = {"str": "path" if modality != "text" else "str"}
    groups = {}
    for index, label in enumerate(labels):
        groups.setdefault(kinds.get(label, label), (label, index))
    if len(groups) > 1:
        described = ", ".join(f"{label} (first at index {index})" for label, index in groups.values())
        raise TypeError(
            f"mixed input types in X: {described}. Give one kind per call: image paths, PIL images, "
            "arrays of one shape, or strings."
        )
    (group, (label, index)), = groups.items()
    if group == "str":
        return InputSource("text", [str(item) for item in items], len(items))
    if modality == "text":
        raise TypeError(
            f"this is a text model: X must be strings, got {label} items (first at index {index})."
        )
    if group in ("path", "PIL.Image"):
        return InputSource("images", items, len(items))
    if group == "array":
        shapes = {tuple(item.shape) for item in items}
        if len(shapes) > 1:
            raise ValueError(f"the arrays in X have different shapes {sorted(shapes)[:3]}; give one shape.")
        stacked = torch.stack(items) if isinstance(items[0], torch.Tensor) else np.stack(items)
        return _prepare_array(stacked, modality, in_channels, in_features)
    raise TypeError(
        f"unsupported item type {label} in X (index {index}): expected image paths, PIL images, "
        "arrays or strings."
    )


def _prepare_array(X, modality, in_channels, in_features):
    if modality == "text":
        raise TypeError(
            f"this is a text model: X must be strings (a list, array or pandas column of str), "
            f"got an array of shape {tuple(X.shape)}."
        )
    shape = tuple(X.shape)
    if len(shape) == 2:
        if in_features is not None and shape[1] != in_features:
            raise ValueError(
                f"X has {shape[1]} features per row but the model's first Linear layer expects "
                f"{in_features}."
            )
        return InputSource("array", X, shape[0])
    if len(shape) == 3:
        if in_channels not in (None, 1):
            raise ValueError(
                f"X of shape {shape} is read as grey images (N, H, W), but the model's first "
                f"convolution expects {in_channels} channels; give (N, {in_channels}, H, W) or "
                f"(N, H, W, {in_channels}) images."
            )
        return InputSource("array", X, shape[0])
    if len(shape) == 4:
        channels_last = _channels_last(shape, in_channels)
        return InputSource("array", X, shape[0], channels_last=channels_last)
    raise ValueError(
        f"X has {len(shape)} dimension(s), shape {shape}: expected rows (N, F), grey images (N, H, W) "
        "or images (N, C, H, W) / (N, H, W, C)."
        + (" Reshape your data: X.reshape(1, -1) for a single sample, X.reshape(-1, 1) for a "
           "single feature." if len(shape) == 1 else "")
    )


def _channels_last(shape, in_channels):
    if in_channels is not None:
        if shape[1] == in_channels:
            return False
        if shape[-1] == in_channels:
            return True
        raise ValueError(
            f"images of shape {shape} have {shape[1]} (N, C, H, W) or {shape[-1]} (N, H, W, C) "
            f"channels, but the model's first convolution expects {in_channels}."
            + (" Repeat the grey channel, e.g. np.repeat(X, 3, axis=1)."
               if in_channels == 3 and 1 in (shape[1], shape[-1]) else "")
        )
    common = (1, 3, 4)
    return shape[1] not in common and shape[-1] in common


def stream_chunks(X):
    """The chunks of a stream input: an iterator's items, or a dask array's row blocks
    (computed one at a time)."""
    if _is_dask_array(X):
        if X.ndim > 1:
            X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
        for index in range(X.numblocks[0]):
            yield X.blocks[index].compute()
    else:
        yield from X


# ---- images from files and PIL images ---------------------------------------------------------


class ImageDataset(torch.utils.data.Dataset):
    """Images from paths or PIL images as float tensors (C, H, W) in [0, 1],
    resized to ``image_size`` when given."""

    def __init__(self, items, *, mode, image_size=None):
        self.items = items
        self.mode = mode
        self.image_size = image_size

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        from PIL import Image

        item = self.items[index]
        if isinstance(item, (str, os.PathLike)):
            path = os.fspath(item)
            try:
                with Image.open(path) as opened:
                    image = opened.convert(self.mode)
            except (OSError, ValueError, Image.DecompressionBombError) as exc:
                raise ValueError(f"cannot read image file {path!r}: {exc}") from exc
        else:
            image = item.convert(self.mode)
        if self.image_size is not None and image.size != (self.image_size[1], self.image_size[0]):
            image = image.resize((self.image_size[1], self.image_size[0]), Image.BILINEAR)
        array = np.asarray(image, dtype=np.uint8)
        if array.ndim == 2:
            array = array[:, :, None]
        return index, torch.from_numpy(array.copy()).permute(2, 0, 1).float().div_(255.0)


def collate_images(samples):
    indices = [index for index, _ in samples]
    images = [image for _, image in samples]
    sizes = {tuple(image.shape[-2:]) for image in images}
    if len(sizes) > 1:
        raise ValueError(
            f"the images have different sizes {sorted(sizes)[:3]} (height, width); give "
            "image_size=(height, width) to resize them all."
        )
    return indices, torch.stack(images)


def image_batches(source, *, batch_size, mode, image_size, num_workers):
    """Yield float tensors (N, C, H, W) of images read from paths / PIL images."""
    try:
        import PIL  # noqa: F401
    except ImportError as exc:
        raise ImportError("image paths and PIL images need pillow: pip install pillow") from exc
    dataset = ImageDataset(source.data, mode=mode, image_size=image_size)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers,
        collate_fn=collate_images, persistent_workers=False,
    )
    for _, images in loader:
        yield images


def new_digest():
    return hashlib.blake2b(digest_size=20)

