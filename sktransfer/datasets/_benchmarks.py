"""Loaders for the real cross-domain benchmarks.

Every loader finds its files under a data directory, downloads them from
their public source when they are missing, and checks each file against a
SHA-256 checksum before it is read. The data directory is, in order:

1. the ``data_home`` argument;
2. the environment variable ``SKTRANSFER_DATA_HOME``;
3. ``~/sktransfer_data``.

A file ``<name>`` of a benchmark folder ``<folder>`` is looked up as
``<data_home>/<folder>/<name>``, so a directory that already holds the
benchmarks (a shared drive, a CI cache) is used as it is, with no download:
``SKTRANSFER_DATA_HOME=/path/to/data``.

All loaders go through one private helper, :func:`_fetch_file`, so that a new
benchmark only declares its files (:class:`_RemoteFile`) and its reader.
"""

import contextlib
import hashlib
import os
import tempfile
import urllib.request
from collections import namedtuple
from pathlib import Path

import numpy as np

__all__ = [
    "get_data_home",
    "fetch_office_caltech",
    "fetch_amazon_reviews",
    "fetch_mnist_usps",
    "OFFICE_CALTECH_DOMAINS",
    "AMAZON_REVIEWS_DOMAINS",
    "MNIST_USPS_DIRECTIONS",
]

DATA_HOME_ENV = "SKTRANSFER_DATA_HOME"
_DEFAULT_DATA_HOME = "~/sktransfer_data"
_TIMEOUT = 60  # seconds per network operation
_BLOCK = 2**16


# One file of a benchmark: where it lives under the data directory, where it
# comes from (several URLs are tried in order), and what it must hash to.
_RemoteFile = namedtuple("_RemoteFile", ["folder", "filename", "urls", "sha256"])


def _github_raw(repo, commit, path):
    # Pinned to a commit: the bytes behind the URL cannot change under us.
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


# Office+Caltech10 SURF (Gong et al., CVPR 2012), the .mat files of the GFK
# release as redistributed with the BDA code of jindongwang/transferlearning.
_TL_COMMIT = "73cb050b7e8b969b9d0ebb04a9377aa033043eb2"
_OFFICE_FOLDER = "office_caltech10_surf"
_OFFICE_FILES = {
    "amazon": ("amazon_SURF_L10.mat",
               "df32548b994e18d364c99e1f317e1fae100597259f0423a41b90f4f68187bb1f"),
    "caltech": ("Caltech10_SURF_L10.mat",
                "4f9334c8ced489d5054de97a5fd51a61f017f3bcd1f38c9a85c6d78cb9d7bda5"),
    "dslr": ("dslr_SURF_L10.mat",
             "44d673c68e1d07b837893aa74dba3b986e4a6cc3fd66f0dd357683bdef059216"),
    "webcam": ("webcam_SURF_L10.mat",
               "a6a9c78b4b7181dfbb58bcfd351d4ebd737f171c31247b8884948aa156d3f700"),
}
OFFICE_CALTECH_DOMAINS = tuple(_OFFICE_FILES)

# Amazon reviews, 400-d features (Chen et al., ICML 2012), as stored in the
# SKADA-Bench repository.
_SKADA_BENCH = "scikit-adaptation/skada-bench"
_AMAZON_FOLDER = "amazon_review_400"
_AMAZON_FILES = {
    "books": ("books_400.mat", "af0537050789583bd4e2697f9a431811b5a46873",
              "7a53b54f0c0e81e7ee4774d762a927399cede9a802a2409732ba00cc1c23a17a"),
    "dvd": ("dvd_400.mat", "e04399f55724b1accbed8ae1050e3c6c73fd481a",
            "13a71d399f9c7ae57064952979c830455057ffd0a8da73f2c9075338d64d98ce"),
    "elec": ("elec_400.mat", "e04399f55724b1accbed8ae1050e3c6c73fd481a",
             "f1dd6e01c1eed956d3abe6493a6bb5efc95e6585b8b9b2d856c0c07e12893a35"),
    "kitchen": ("kitchen_400.mat", "af0537050789583bd4e2697f9a431811b5a46873",
                "b1f4e5ddfbd7b37ad2638fccbf83bd8558abf63b3e8d69a9d5bca77b1a49fed5"),
}
AMAZON_REVIEWS_DOMAINS = tuple(_AMAZON_FILES)

# MNIST/USPS of the JDA paper (Long et al., ICCV 2013), MATLAB v7.3 files as
# distributed with the JPDA code of chamwen/JPDA.
_JPDA_COMMIT = "dba993a3212708c5df60229494560ebaae6081e7"
_MNIST_USPS_FOLDER = "mnist_usps_jda"
_MNIST_USPS_FILES = {
    "mnist_usps": ("MNIST_vs_USPS.mat",
                   "7fbb67f14af7236e18a38dc8a0a836142361e9e720e4b763a5e2db511d306d6c"),
    "usps_mnist": ("USPS_vs_MNIST.mat",
                   "1f3f217d303cc4891589024bf7b620ee3f4dee867652fd27767387e64475d979"),
}
MNIST_USPS_DIRECTIONS = tuple(_MNIST_USPS_FILES)


def _office_remote(domain):
    filename, sha256 = _OFFICE_FILES[domain]
    urls = (_github_raw("jindongwang/transferlearning", _TL_COMMIT, f"code/BDA/data/{filename}"),)
    return _RemoteFile(_OFFICE_FOLDER, filename, urls, sha256)


def _amazon_remote(domain):
    filename, commit, sha256 = _AMAZON_FILES[domain]
    urls = (_github_raw(_SKADA_BENCH, commit, f"data/amazon_review/{filename}"),)
    return _RemoteFile(_AMAZON_FOLDER, filename, urls, sha256)


def _mnist_usps_remote(direction):
    filename, sha256 = _MNIST_USPS_FILES[direction]
    urls = (_github_raw("chamwen/JPDA", _JPDA_COMMIT, f"data/{filename}"),)
    return _RemoteFile(_MNIST_USPS_FOLDER, filename, urls, sha256)


def get_data_home(data_home=None):
    """The directory where sktransfer looks for (and downloads) benchmark data.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The directory to use. Default: the environment variable
        ``SKTRANSFER_DATA_HOME`` if set and not empty, else
        ``~/sktransfer_data``. ``~`` is expanded. The directory is not created
        here (a download creates what it needs).

    Returns
    -------
    data_home : pathlib.Path

    Examples
    --------
    >>> from sktransfer.datasets import get_data_home
    >>> get_data_home("/tmp/my_data").as_posix()
    '/tmp/my_data'
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or _DEFAULT_DATA_HOME
    return Path(os.path.expanduser(os.fspath(data_home)))


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def _where_hint(path):
    return (
        f"Put the file there, or point sktransfer at a directory that holds "
        f"'{path.parent.name}/{path.name}': pass data_home=... or set the environment "
        f"variable {DATA_HOME_ENV}."
    )


def _check_sha256(path, expected):
    actual = _sha256(path)
    if actual != expected:
        raise OSError(
            f"Checksum mismatch for {path.name} at {path}: its SHA-256 is {actual}, "
            f"expected {expected}. The file is corrupt or not the expected version; "
            f"delete it to download it again. " + _where_hint(path)
        )


@contextlib.contextmanager
def _created_folder(folder):
    """Create ``folder`` (and its missing parents) for the block; if the block
    fails, remove again those of them that are still empty.

    A failed download leaves the data directory as it found it: no empty
    benchmark folder that would look like a (broken) copy of the data.
    """
    folder = Path(folder)
    created = []
    missing = folder
    while not missing.exists():
        created.append(missing)  # deepest first
        if missing.parent == missing:
            break
        missing = missing.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        yield folder
    except BaseException:
        for directory in created:
            try:
                directory.rmdir()  # only an empty directory: never anything a user put there
            except OSError:
                break
        raise


def _download(remote, path):
    """Download ``remote`` to ``path`` atomically, trying each URL in turn.

    Bytes go to a temporary file in the destination folder, are hashed on the
    way, and the file is moved into place with :func:`os.replace` only when
    the checksum matches: a partial or wrong download is never left under the
    final name. The folders it creates are removed again when it fails.
    """
    with _created_folder(path.parent):
        return _download_into(remote, path)


def _download_into(remote, path):
    errors = []
    for url in remote.urls:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{remote.filename}.", suffix=".part", dir=path.parent)
        try:
            digest = hashlib.sha256()
            request = urllib.request.Request(url, headers={"User-Agent": "sktransfer"})
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
                for block in iter(lambda: response.read(_BLOCK), b""):
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() != remote.sha256:
                errors.append(
                    f"{url}: checksum mismatch for {remote.filename} "
                    f"(SHA-256 {digest.hexdigest()}, expected {remote.sha256})"
                )
                continue
            os.replace(tmp_name, path)
            return path
        except OSError as exc:  # URLError, HTTPError, timeouts and disk errors are OSErrors
            errors.append(f"{url}: {exc}")
        finally:
            if os.path.exists(tmp_name):
                os.remove(tmp_name)
    raise OSError(
        f"Could not download {remote.filename} to {path}:\n  "
        + "\n  ".join(errors)
        + "\n" + _where_hint(path)
    )


def _fetch_file(remote, data_home=None, download=True):
    """Path of a verified local copy of ``remote``: find it, or download it.

    Parameters
    ----------
    remote : _RemoteFile
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    download : bool, default=True
        Download the file when it is missing.

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    FileNotFoundError
        If the file is missing and ``download`` is False.
    OSError
        If the download fails, or if the file does not match its checksum.
    """
    path = get_data_home(data_home) / remote.folder / remote.filename
    if not path.is_file():
        if not download:
            raise FileNotFoundError(
                f"{remote.filename} not found: looked for {path}. " + _where_hint(path)
                + " Or call with download=True to fetch it."
            )
        return _download(remote, path)
    _check_sha256(path, remote.sha256)
    return path


def _check_choice(value, choices, name, aliases=None):
    key = str(value).lower() if isinstance(value, str) else value
    key = (aliases or {}).get(key, key)
    if key not in choices:
        raise ValueError(f"Unknown {name} {value!r}; choose one of {', '.join(map(repr, choices))}.")
    return key


def _loadmat(path):
    from scipy.io import loadmat

    return loadmat(path)


def fetch_office_caltech(domain, *, data_home=None, download=True):
    """Load one domain of Office+Caltech10 with SURF features.

    The four domains share 10 object classes (back pack, bike, calculator,
    headphones, keyboard, laptop, monitor, mouse, mug, projector): ``amazon``
    (958 images from amazon.com), ``caltech`` (1123 from Caltech-256),
    ``dslr`` (157) and ``webcam`` (295). Each image is an 800-bin bag of SURF
    visual words (Gong et al., 2012). The 12 ordered pairs of domains are the
    usual transfer tasks.

    The features are returned raw (word counts). The standard preprocessing
    divides each row by its sum and then z-scores each column within each
    domain.

    Parameters
    ----------
    domain : {"amazon", "caltech", "dslr", "webcam"}
        The domain to load (case-insensitive; ``"Caltech10"`` is accepted).
    data_home : str or path-like, default=None
        Where to look for ``office_caltech10_surf/<domain file>``; see
        :func:`get_data_home`.
    download : bool, default=True
        Download the file from its public source when it is missing.

    Returns
    -------
    X : ndarray of shape (n_images, 800), float64
        Visual word counts.
    y : ndarray of shape (n_images,), int64
        Class labels, 1 to 10.

    Raises
    ------
    FileNotFoundError
        If the file is missing and ``download`` is False.
    OSError
        If the download fails or the file does not match its checksum.

    References
    ----------
    .. [1] B. Gong, Y. Shi, F. Sha and K. Grauman, "Geodesic Flow Kernel for
       Unsupervised Domain Adaptation", CVPR 2012.

    Examples
    --------
    >>> from sktransfer.datasets import fetch_office_caltech
    >>> X, y = fetch_office_caltech("amazon")  # doctest: +SKIP
    >>> X.shape, sorted(set(y))  # doctest: +SKIP
    ((958, 800), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    """
    domain = _check_choice(domain, OFFICE_CALTECH_DOMAINS, "Office+Caltech10 domain",
                           aliases={"caltech10": "caltech"})
    mat = _loadmat(_fetch_file(_office_remote(domain), data_home, download))
    X = np.asarray(mat["fts"], dtype=np.float64)
    y = np.asarray(mat["labels"]).ravel().astype(np.int64)
    return X, y


def fetch_amazon_reviews(domain, *, data_home=None, download=True):
    """Load one domain of the Amazon product reviews (400-d features).

    Binary sentiment (0 negative, 1 positive, balanced) of about 2000 reviews
    in each of four product categories: ``books``, ``dvd``, ``elec``
    (electronics) and ``kitchen`` (appliances). The features are the 400 most
    frequent unigrams/bigrams, in [0, 1], as used by Chen et al. (2012) and
    SKADA-Bench.

    Parameters
    ----------
    domain : {"books", "dvd", "elec", "kitchen"}
        The domain to load (``"electronics"`` is accepted for ``"elec"``).
    data_home : str or path-like, default=None
        Where to look for ``amazon_review_400/<domain>_400.mat``; see
        :func:`get_data_home`.
    download : bool, default=True
        Download the file from its public source when it is missing.

    Returns
    -------
    X : ndarray of shape (n_reviews, 400), float64
    y : ndarray of shape (n_reviews,), int64
        0 for a negative review, 1 for a positive one.

    Raises
    ------
    FileNotFoundError
        If the file is missing and ``download`` is False.
    OSError
        If the download fails or the file does not match its checksum.

    References
    ----------
    .. [1] M. Chen, Z. Xu, K. Weinberger and F. Sha, "Marginalized Denoising
       Autoencoders for Domain Adaptation", ICML 2012.

    Examples
    --------
    >>> from sktransfer.datasets import fetch_amazon_reviews
    >>> X, y = fetch_amazon_reviews("books")  # doctest: +SKIP
    >>> X.shape, y.mean()  # doctest: +SKIP
    ((2000, 400), 0.5)
    """
    domain = _check_choice(domain, AMAZON_REVIEWS_DOMAINS, "Amazon reviews domain",
                           aliases={"electronics": "elec"})
    mat = _loadmat(_fetch_file(_amazon_remote(domain), data_home, download))
    fts = mat["fts"]
    X = np.asarray(fts.toarray() if hasattr(fts, "toarray") else fts, dtype=np.float64)
    y = np.asarray(mat["labels"]).ravel().astype(np.int64)
    return X, y


def fetch_mnist_usps(direction="mnist_usps", *, data_home=None, download=True):
    """Load the MNIST/USPS digit transfer tasks of the JDA paper.

    ``"mnist_usps"``: 2000 MNIST digits as source, 1800 USPS digits as target;
    ``"usps_mnist"``: the reverse. Images are 16 x 16 grey levels in [0, 1],
    flattened row-major to 256 features.

    Parameters
    ----------
    direction : {"mnist_usps", "usps_mnist"}, default="mnist_usps"
        Which domain is the source.
    data_home : str or path-like, default=None
        Where to look for ``mnist_usps_jda/MNIST_vs_USPS.mat`` (or
        ``USPS_vs_MNIST.mat``); see :func:`get_data_home`.
    download : bool, default=True
        Download the file from its public source when it is missing.

    Returns
    -------
    Xs : ndarray of shape (n_source, 256), float64
    ys : ndarray of shape (n_source,), int64
        Labels 1 to 10; the digit is ``label - 1``.
    Xt : ndarray of shape (n_target, 256), float64
    yt : ndarray of shape (n_target,), int64
        Labels 1 to 10; the digit is ``label - 1``.

    Raises
    ------
    ImportError
        If h5py is not installed (the files are MATLAB v7.3, i.e. HDF5).
    FileNotFoundError
        If the file is missing and ``download`` is False.
    OSError
        If the download fails or the file does not match its checksum.

    References
    ----------
    .. [1] M. Long, J. Wang, G. Ding, J. Sun and P. S. Yu, "Transfer Feature
       Learning with Joint Distribution Adaptation", ICCV 2013.

    Examples
    --------
    >>> from sktransfer.datasets import fetch_mnist_usps
    >>> Xs, ys, Xt, yt = fetch_mnist_usps("mnist_usps")  # doctest: +SKIP
    >>> Xs.shape, Xt.shape  # doctest: +SKIP
    ((2000, 256), (1800, 256))
    """
    direction = _check_choice(direction, MNIST_USPS_DIRECTIONS, "MNIST/USPS direction",
                              aliases={"mnist->usps": "mnist_usps", "usps->mnist": "usps_mnist"})
    try:
        import h5py
    except ImportError as exc:
        raise ImportError(
            "fetch_mnist_usps needs h5py to read its MATLAB v7.3 files: "
            "pip install h5py (or pip install 'sktransfer[data]')."
        ) from exc
    path = _fetch_file(_mnist_usps_remote(direction), data_home, download)
    with h5py.File(path, "r") as h5:
        # HDF5 stores MATLAB's column-major arrays transposed: rows are samples.
        Xs, ys, Xt, yt = (np.array(h5[key]) for key in ("Xs", "Ys", "Xt", "Yt"))
    return (
        np.ascontiguousarray(Xs, dtype=np.float64),
        ys.ravel().astype(np.int64),
        np.ascontiguousarray(Xt, dtype=np.float64),
        yt.ravel().astype(np.int64),
    )
