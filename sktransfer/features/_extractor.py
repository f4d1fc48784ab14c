"""PretrainedFeatureExtractor: a frozen pretrained network as an sklearn transformer."""

import difflib
import os
import pickle
import warnings
from numbers import Integral
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_magnitude
from ._cache import FeatureCache
from ._inputs import image_batches, new_digest, prepare_input, stream_chunks
from ._loading import load_model

POOLINGS = ("auto", "mean", "flatten", "cls")


class _StopForward(Exception):
    """Raised by the layer hook: the rest of the network is not needed."""


class PretrainedFeatureExtractor(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Features of a frozen pretrained network, as an sklearn transformer.

    ``fit`` only loads the model and checks the input (the network is never
    trained); ``transform`` runs it in batches under ``torch.inference_mode()``
    and returns a float32 numpy matrix, one row per sample.

    Parameters
    ----------
    model : torch.nn.Module, str or path-like
        The network. An ``nn.Module`` (used as it is, in eval mode; ``fit``
        works on a copy and leaves yours untouched); a name:
        ``"torchvision:resnet18"``, ``"timm:resnet18"`` (a bare name is looked
        up in torchvision, then timm), ``"hf:bert-base-uncased"`` or
        ``"owner/name"`` (Hugging Face ``transformers``),
        ``"sentence-transformers:all-MiniLM-L6-v2"``; or a local path: a
        sentence-transformers or Hugging Face model directory, or a module
        saved with ``torch.save(module)``. Weights come from the library's own
        cache; when its hub cannot be reached the error says how to point to
        local weights.
    layer : str or callable, default=None
        What to read. None: the model's output (for text models, the sentence
        embedding or the mean of the last hidden states). A name from
        ``model.named_modules()`` (e.g. ``"classifier.1"``): that submodule's
        output, caught by a forward hook; the forward pass stops there. A
        callable ``layer(module, inputs) -> tensor``: called instead of the
        module (e.g. ``lambda m, x: m.extract_features(x)``; a lambda cannot
        be pickled, a module-level function can).
    preprocess : "auto", None or callable, default="auto"
        (Not called ``transform``: an sklearn parameter of that name would
        hide the ``transform`` method.) Batch pre-processing of images or rows, applied to a float tensor
        ``(N, C, H, W)`` (images in [0, 1] when they come from files, PIL or
        uint8 arrays) or ``(N, F)``. "auto": the library's own transforms
        (resize, crop, normalise) for torchvision and timm models, none for
        others. See :class:`ImageBatchTransform`.
    image_size : int or (int, int), default=None
        Size (height, width) to which image files and PIL images are resized
        when read; None: the model's input size when the library gives it,
        else the images must share one size.
    pooling : {"auto", "mean", "flatten", "cls"}, default="auto"
        How to turn a layer's output into one row per sample. "auto": feature
        maps (N, C, H, W) are averaged over H and W, token sequences (N, T, D)
        over tokens (padding excluded), other shapes flattened.
        "cls": the first token.
    batch_size : int, default=64
    device : "auto" or str or torch.device, default="auto"
        "auto": CUDA when available, else CPU.
    half : bool, default=False
        Run in float16 on a GPU (features are returned as float32). On CPU it
        is ignored with a warning.
    num_workers : int, default=0
        DataLoader workers that read and resize image files.
    progress : bool, default=False
        Show a tqdm progress bar over batches.
    cache_dir : str or path-like, default=None
        Keep the features of each (model, settings, input) on disk here, so
        that refitting a pipeline (e.g. in a grid search) does not recompute
        them. Files are written atomically. Iterators are never cached.
    model_kwargs : dict, default=None
        Passed to the loader of a named model (e.g. ``{"weights": None}`` for
        torchvision, ``{"max_length": 128}`` for a text model).
    trust_pickled_model : bool, default=False
        Allow ``model`` to be a file that holds a whole pickled module (saved
        with ``torch.save(module)``). **Unpickling runs arbitrary code from the
        file**: set it only for files you made or trust. By default a model
        file is read with ``torch.load(weights_only=True)``, which refuses a
        pickled module with an error that names this parameter. A name with a
        library prefix (``"hf:..."``, ``"torchvision:..."``, ...) is never read
        as a file.

    Attributes
    ----------
    n_features_in_ : int
        Columns of tabular (2-D) input seen in ``fit``; absent for images and text.
    feature_names_in_ : ndarray of str
        Column names of a DataFrame seen in ``fit``.
    n_features_out_ : int
        Length of one feature vector.
    device_ : torch.device
        Where the model runs.

    See Also
    --------
    ImageBatchTransform : a picklable resize and normalise for image batches.

    Examples
    --------
    >>> import numpy as np
    >>> from torch import nn
    >>> from sktransfer.features import PretrainedFeatureExtractor
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> extractor = PretrainedFeatureExtractor(net, layer="1", device="cpu")
    >>> extractor.fit_transform(np.ones((3, 4), dtype=np.float32)).shape
    (3, 8)
    >>> extractor.get_feature_names_out()[:2]
    array(['pretrainedfeatureextractor0', 'pretrainedfeatureextractor1'],
          dtype=object)
    """

    def __init__(self, model, *, layer=None, preprocess="auto", image_size=None, pooling="auto",
                 batch_size=64, device="auto", half=False, num_workers=0, progress=False,
                 cache_dir=None, model_kwargs=None, trust_pickled_model=False):
        self.model = model
        self.layer = layer
        self.preprocess = preprocess
        self.image_size = image_size
        self.pooling = pooling
        self.batch_size = batch_size
        self.device = device
        self.half = half
        self.num_workers = num_workers
        self.progress = progress
        self.cache_dir = cache_dir
        self.model_kwargs = model_kwargs
        self.trust_pickled_model = trust_pickled_model

    # ---- sklearn API ------------------------------------------------------------------------

    def fit(self, X, y=None):
        """Load the model and check ``X``; the network is not trained.

        Parameters
        ----------
        X : array-like, tensor, list of paths / PIL images / str, pandas column, or iterator
            Samples of the kind ``transform`` will get. Only the first sample
            is run (to learn the feature length); of an iterator, only the
            first chunk is read.
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        for attribute in ("n_features_in_", "feature_names_in_"):
            self.__dict__.pop(attribute, None)
        self.device_ = self._resolve_device()
        self._loaded = None
        source = self._prepare(X, reset=True)  # loads the model
        if source.kind == "stream":
            first = next(iter(stream_chunks(source.data)), None)
            if first is None:
                raise ValueError("X is an empty iterator: fit needs at least one chunk.")
            source = self._prepare(first, reset=True)
        self._model_digest = None
        try:
            probe = self._extract(source.take(1), batch_size=1, progress=False)
        except RuntimeError as exc:
            error = self._shape_error(source, exc)
            if error is None:
                raise
            raise error from exc
        self.n_features_out_ = probe.shape[1]
        return self

    def transform(self, X):
        """Extract features.

        Parameters
        ----------
        X : array-like, tensor, list of paths / PIL images / str, pandas column, or iterator
            Images (N, C, H, W) or (N, H, W, C), grey images (N, H, W), rows
            (N, F), image paths or PIL images, strings for a text model. An
            iterator of chunks or a dask array is transformed chunk by chunk
            (see :meth:`iter_transform` to keep memory bounded).

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out), float32
        """
        check_is_fitted(self, "n_features_out_")
        source = self._prepare(X, reset=False)
        if source.kind == "stream":
            chunks = list(self.iter_transform(source.data))
            return np.concatenate(chunks) if chunks else np.empty((0, self.n_features_out_), np.float32)
        cache = FeatureCache(self.cache_dir) if self.cache_dir is not None else None
        if cache is not None:
            key = self._cache_key(source)
            cached = cache.load(key)
            if cached is not None and cached.shape == (source.n_samples, self.n_features_out_):
                return cached
        features = self._extract(source, batch_size=self.batch_size, progress=self.progress)
        if cache is not None:
            cache.save(key, features)
        return features

    def iter_transform(self, X, *, chunk_size=None):
        """Extract features chunk by chunk, holding one chunk at a time.

        For data larger than memory: an iterator of chunks (arrays, lists of
        paths or strings), a dask array (one row block at a time), or a numpy
        memmap cut into ``chunk_size`` rows. Write the chunks where they
        belong, e.g. into ``numpy.lib.format.open_memmap``.

        Parameters
        ----------
        X : iterator of chunks, dask array, or any input of :meth:`transform`
        chunk_size : int, default=None
            Rows per chunk for an input that is not already chunked;
            None: ``batch_size`` rows.

        Yields
        ------
        features : ndarray of shape (n_chunk_samples, n_features_out), float32
        """
        check_is_fitted(self, "n_features_out_")
        source = self._prepare(X, reset=False)
        if source.kind == "stream":
            for chunk in stream_chunks(source.data):
                features = self.transform(chunk)
                del chunk  # let the chunk go before the next one is read: one chunk in memory at a time
                yield features
            return
        chunk_size = chunk_size or self.batch_size
        if not isinstance(chunk_size, Integral) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}.")
        for start in range(0, source.n_samples, chunk_size):
            yield self._extract(source.slice(start, start + chunk_size),
                                batch_size=self.batch_size, progress=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.input_tags.allow_nan = False
        return tags

    @property
    def _n_features_out(self):
        return self.n_features_out_

    # ---- pickling: the loaded model is never pickled; it is re-loaded from `model` ----------

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_loaded", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._loaded = None
        if "device_" in self.__dict__ and self.device == "auto":
            # unpickled on another machine: "auto" means this machine's GPU, if any
            self.device_ = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    # ---- internals -------------------------------------------------------------------------

    def _check_params(self):
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {self.pooling!r}.")
        for name in ("batch_size",):
            value = getattr(self, name)
            if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}.")
        if not isinstance(self.num_workers, Integral) or self.num_workers < 0:
            raise ValueError(f"num_workers must be an int >= 0, got {self.num_workers!r}.")
        if not (self.preprocess is None or (isinstance(self.preprocess, str) and self.preprocess == "auto")
                or callable(self.preprocess)):
            raise ValueError(f"preprocess must be 'auto', None or a callable, got {self.preprocess!r}.")
        if not (self.layer is None or isinstance(self.layer, str) or callable(self.layer)):
            raise TypeError(f"layer must be None, a submodule name or a callable, got {self.layer!r}.")
        if not isinstance(self.trust_pickled_model, (bool, np.bool_)):
            raise TypeError(f"trust_pickled_model must be True or False, got {self.trust_pickled_model!r}.")
        if self.model_kwargs is not None and not isinstance(self.model_kwargs, dict):
            raise TypeError(f"model_kwargs must be a dict or None, got {type(self.model_kwargs).__name__}.")
        if self.progress:
            try:
                import tqdm  # noqa: F401
            except ImportError as exc:
                raise ImportError("progress=True needs tqdm: pip install tqdm") from exc

    def _resolve_device(self):
        if self.device == "auto":
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        else:
            try:
                device = torch.device(self.device)
            except (RuntimeError, TypeError) as exc:
                raise ValueError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N', ...; got {self.device!r}.") from exc
            if device.type == "cuda" and not torch.cuda.is_available():
                raise ValueError(f"device={self.device!r} but CUDA is not available; use device='auto' or 'cpu'.")
        if self.half and device.type == "cpu":
            warnings.warn("half=True is for GPUs; on CPU the model runs in float32.", UserWarning, stacklevel=3)
        return device

    def _use_half(self):
        return bool(self.half) and self.device_.type != "cpu"

    def _get_loaded(self):
        if getattr(self, "_loaded", None) is None:
            loaded = load_model(self.model, self.model_kwargs,
                                trust_pickled_model=bool(self.trust_pickled_model))
            if isinstance(self.layer, str):
                modules = dict(loaded.module.named_modules())
                if self.layer not in modules:
                    close = difflib.get_close_matches(self.layer, [n for n in modules if n], n=5)
                    raise ValueError(
                        f"layer {self.layer!r} is not a submodule of the model"
                        + (f"; close names: {close}" if close else "")
                        + f". Names come from model.named_modules(), e.g. {[n for n in modules if n][:8]}."
                    )
            loaded.module.to(self.device_)
            if self._use_half():
                loaded.module.half()
            self._loaded = loaded
        return self._loaded

    def _prepare(self, X, *, reset):
        loaded = self._get_loaded()
        # loaded.in_features (the first Linear found) is only a hint: a module may compute
        # before its first Linear, or register it first and apply it later; fit runs the module
        source = prepare_input(X, modality=loaded.modality, in_channels=loaded.in_channels)
        if source.kind == "array" and source.data.ndim == 2:
            # tabular rows: sklearn's checks (NaN, sparse, n_features_in_, column names)
            if isinstance(source.data, torch.Tensor):
                if reset:
                    self.n_features_in_ = source.data.shape[1]
                elif hasattr(self, "n_features_in_") and source.data.shape[1] != self.n_features_in_:
                    raise ValueError(f"X has {source.data.shape[1]} features, but {type(self).__name__} "
                                     f"is expecting {self.n_features_in_} features as input.")
            else:
                data = validate_data(self, X if hasattr(X, "columns") else source.data, reset=reset,
                                     dtype="numeric", ensure_all_finite=True)
                source.data = data
        elif reset:
            self.__dict__.pop("n_features_in_", None)
        elif source.kind != "stream" and hasattr(self, "n_features_in_"):
            raise ValueError(
                f"{type(self).__name__} was fitted on rows of {self.n_features_in_} features, "
                f"got {source.kind} input of shape {getattr(source.data, 'shape', source.n_samples)}."
            )
        if source.kind == "array":
            _check_array_magnitude(source.data, who=type(self).__name__)
        return source

    def _shape_error(self, source, exc):
        """A clear error for a model that cannot take rows of this width, or None."""
        if not source.is_tabular:
            return None
        width, expected = source.data.shape[1], self._get_loaded().in_features
        message = str(exc).lower()
        if not (expected not in (None, width) or "shape" in message or "size" in message):
            return None
        # the first registered Linear is a hint only: it may not be the first applied
        hint = (f" (the model's first registered Linear layer takes {expected} features)"
                if expected not in (None, width) else "")
        return ValueError(
            f"X has {width} features per row, which the model cannot take{hint}: running it on "
            f"one row failed with {type(exc).__name__}: {exc}"
        )

    def _raw_batches(self, source, batch_size, text_order=None):
        loaded = self._get_loaded()
        if source.kind == "array":
            yield from source.array_batches(batch_size)
        elif source.kind == "text":
            for start in range(0, source.n_samples, batch_size):
                yield [source.data[index] for index in text_order[start:start + batch_size]]
        else:
            mode = "L" if loaded.in_channels == 1 else "RGB"
            image_size = self.image_size if self.image_size is not None else loaded.image_size
            if isinstance(image_size, Integral):
                image_size = (int(image_size), int(image_size))
            yield from image_batches(source, batch_size=batch_size, mode=mode,
                                     image_size=image_size, num_workers=self.num_workers)

    def _extract(self, source, *, batch_size, progress):
        loaded = self._get_loaded()
        n_samples = source.n_samples
        features = None
        # texts of similar length in one batch pad less (as SentenceTransformer.encode does);
        # row i of the result is still text i
        order = (np.argsort([-len(text) for text in source.data], kind="stable")
                 if source.kind == "text" else None)
        batches = self._raw_batches(source, batch_size, order)
        if progress:
            from tqdm.auto import tqdm

            batches = tqdm(batches, total=-(-n_samples // batch_size), desc="features", unit="batch")
        transform = loaded.preprocess if isinstance(self.preprocess, str) else self.preprocess
        start = 0
        with torch.inference_mode():
            for batch in batches:
                if loaded.modality == "text":
                    output, mask = self._run_text(loaded, batch)
                else:
                    batch = batch.to(self.device_, non_blocking=True)
                    if transform is not None:
                        batch = transform(batch)
                    if self._use_half():
                        batch = batch.half()
                    output, mask = self._run(loaded, batch), None
                rows = self._pool(output, mask).float().cpu().numpy()
                if features is None:
                    features = np.empty((n_samples, rows.shape[1]), dtype=np.float32)
                if order is None:
                    features[start:start + len(rows)] = rows
                else:
                    features[order[start:start + len(rows)]] = rows
                start += len(rows)
        return features

    def _run_text(self, loaded, texts):
        if loaded.source == "sentence-transformers":
            sentence_model = loaded.extra["sentence_model"]
            # sentence-transformers >= 5.x renamed tokenize to preprocess
            encode = getattr(sentence_model, "preprocess", None) or sentence_model.tokenize
            encoded = encode(list(texts))
        else:
            options = {"max_length": loaded.max_length} if loaded.max_length else {}
            encoded = loaded.tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt", **options)
        encoded = {key: value.to(self.device_) if isinstance(value, torch.Tensor) else value
                   for key, value in encoded.items()}
        mask = encoded.get("attention_mask")
        if loaded.source == "sentence-transformers":
            return self._run(loaded, encoded), mask
        return self._run(loaded, encoded, unpack=True), mask

    def _run(self, loaded, inputs, unpack=False):
        module = loaded.module

        def call():
            return module(**inputs) if unpack else module(inputs)

        if callable(self.layer) and not isinstance(self.layer, str):
            return self.layer(module, inputs)
        if self.layer is None:
            output = call()
            if loaded.source == "transformers":
                output = output[0]  # last hidden state
            return output
        captured = []

        def hook(_module, _inputs, output):
            captured.append(output)
            raise _StopForward

        handle = dict(module.named_modules())[self.layer].register_forward_hook(hook)
        try:
            call()
        except _StopForward:
            pass
        finally:
            handle.remove()
        if not captured:
            raise RuntimeError(f"layer {self.layer!r} did not run in the model's forward pass.")
        return captured[0]

    def _pool(self, output, mask):
        if isinstance(output, dict):
            for key in ("sentence_embedding", "pooler_output", "last_hidden_state"):
                if key in output:
                    output = output[key]
                    break
        if isinstance(output, (tuple, list)):
            output = output[0]
        if not isinstance(output, torch.Tensor):
            raise TypeError(f"the model (or layer) returned a {type(output).__name__}, not a tensor; "
                            "give layer= a submodule name or a callable that returns one.")
        if output.ndim == 1:
            return output.unsqueeze(1)
        pooling = self.pooling
        if pooling == "flatten" or output.ndim == 2:
            return output.flatten(1)
        if pooling == "cls":
            if output.ndim != 3:
                raise ValueError(f"pooling='cls' needs token sequences (N, T, D); the output has shape "
                                 f"{tuple(output.shape)}.")
            return output[:, 0]
        if output.ndim == 4:
            return output.mean(dim=(2, 3))
        if output.ndim == 3:
            if mask is not None and mask.shape == output.shape[:2]:
                weights = mask.unsqueeze(-1).to(output.dtype)
                return (output * weights).sum(1) / weights.sum(1).clamp(min=1)
            return output.mean(dim=1)
        return output.flatten(1)

    def _cache_key(self, source):
        if getattr(self, "_model_digest", None) is None:
            loaded = self._get_loaded()
            digest = new_digest()
            if not isinstance(self.model, torch.nn.Module):
                digest.update(repr(self.model).encode())
                _digest_local_files(digest, self.model)
            # the loaded network itself, whatever `model` was: its architecture and its weights
            _digest_module(digest, loaded.module)
            # the library's own preprocessing, used by preprocess="auto"
            digest.update(repr((loaded.preprocess, loaded.image_size, loaded.max_length)).encode())
            self._model_digest = digest.hexdigest()
        digest = new_digest()
        settings = (self._model_digest, self.layer, self.preprocess, self.image_size, self.pooling,
                    self._use_half(), self.model_kwargs)
        try:
            digest.update(pickle.dumps(settings))
        except Exception:  # noqa: BLE001 - an unpicklable callable: its repr names it
            digest.update(repr(settings).encode())
        source.update_digest(digest)
        return digest.hexdigest()


_PLAIN = (bool, int, float, str, type(None))


def _digest_module(digest, module):
    """Feed a module's architecture and weights into a hashlib object.

    The architecture: for every submodule, its name, class, ``extra_repr``,
    plain attributes (ints, floats, strings...) and the bytecode of its
    class's ``forward`` (so a ReLU and a Tanh, or a forward that calls
    ``torch.relu`` and one that calls ``torch.tanh``, differ). The weights:
    every parameter and buffer.
    """
    for name, submodule in module.named_modules():
        cls = type(submodule)
        digest.update(f"{name}\0{cls.__module__}.{cls.__qualname__}\0{submodule.extra_repr()}\0".encode())
        code = getattr(getattr(cls, "forward", None), "__code__", None)
        if code is not None:
            digest.update(code.co_code)
            digest.update(repr(code.co_names).encode())
        for attribute, value in sorted(vars(submodule).items()):
            plain = isinstance(value, _PLAIN) or (
                isinstance(value, (tuple, list)) and all(isinstance(item, _PLAIN) for item in value))
            if plain and not attribute.startswith("_"):
                digest.update(f"{attribute}={value!r}\0".encode())
    tensors = list(module.state_dict().items()) + list(module.named_buffers())
    for name, tensor in tensors:
        if not isinstance(tensor, torch.Tensor):
            digest.update(f"{name}={tensor!r}\0".encode())
            continue
        tensor = tensor.detach().cpu()
        if tensor.is_floating_point():
            tensor = tensor.float()  # half=True runs a half copy of the same weights
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}\0".encode())
        digest.update(tensor.contiguous().numpy().tobytes())


def _check_array_magnitude(data, *, who):
    """check_magnitude (float32 range) of a numeric array or tensor, a block of rows at a
    time: a memory-mapped or huge input is never copied whole."""
    if isinstance(data, torch.Tensor):
        # uint8 images and ints of 32 bits or less cannot leave the range
        if not (data.is_floating_point() or data.dtype == torch.int64):
            return
        row_bytes = data[:1].numel() * data.element_size()
    else:
        data = data if hasattr(data, "dtype") else np.asarray(data)
        if not (data.dtype.kind == "f" or (data.dtype.kind in "iu" and data.dtype.itemsize == 8)):
            return
        row_bytes = data[:1].nbytes
    rows_per_block = max(1, (1 << 18) // max(1, row_bytes))  # small temporaries: chunked runs stay bounded
    largest = 0.0
    for start in range(0, len(data), rows_per_block):
        block = data[start:start + rows_per_block]
        if isinstance(block, torch.Tensor):
            # in the tensor's own dtype and device (float64 is not on every device)
            block = block.detach()
            if block.is_floating_point():
                block = block[torch.isfinite(block)]
            if block.numel():
                largest = max(largest, float(block.abs().max()))
        else:
            block = np.asarray(block)
            if block.dtype.kind == "f":
                block = block[np.isfinite(block)]
            if block.size:
                largest = max(largest, float(np.abs(block).max()))
    check_magnitude(np.array([largest]), who=who, float32=True)


def _digest_local_files(digest, model):
    """A local model directory or file changes its cache key when its files change
    (by name, size and modification time, not content: cheap for large weights)."""
    try:
        path = Path(os.fspath(model)).expanduser()
        if not path.exists():
            return
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    except (TypeError, OSError):
        return
    for file in files:
        stat = file.stat()
        name = file.relative_to(path) if path.is_dir() else file.name
        digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())
