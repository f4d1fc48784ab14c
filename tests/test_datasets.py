"""Benchmark loaders, against the real files of ../shared/data.

The real-data tests point ``SKTRANSFER_DATA_HOME`` at the shared data folder
(next to the repository) and are skipped when it is absent. The error paths
and the download path use a temporary directory and a fake URL opener: no
test touches the network.
"""

import hashlib
import io
import shutil
import sys
import urllib.error
import urllib.request

import numpy as np
import pytest
from conftest import SHARED_DATA

from sktransfer.datasets import _benchmarks
from sktransfer.datasets._benchmarks import (
    fetch_amazon_reviews,
    fetch_mnist_usps,
    fetch_office_caltech,
    get_data_home,
)

needs_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"benchmark data folder {SHARED_DATA} is absent"
)
OFFICE_FILE = SHARED_DATA / "office_caltech10_surf" / "amazon_SURF_L10.mat"


@pytest.fixture
def no_network(monkeypatch):
    """Any download attempt fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"unexpected download: {args[0].full_url if args else kwargs}")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.fixture
def shared_data(monkeypatch, no_network):
    if not SHARED_DATA.is_dir():
        pytest.skip(f"benchmark data folder {SHARED_DATA} is absent")
    monkeypatch.setenv("SKTRANSFER_DATA_HOME", str(SHARED_DATA))
    return SHARED_DATA


@pytest.mark.parametrize(
    "domain, n_rows", [("amazon", 958), ("caltech", 1123), ("dslr", 157), ("webcam", 295)]
)
def test_office_caltech_domains(shared_data, domain, n_rows):
    X, y = fetch_office_caltech(domain)
    assert X.shape == (n_rows, 800)
    assert X.dtype == np.float64
    assert y.shape == (n_rows,)
    assert y.dtype == np.int64
    assert set(np.unique(y)) == set(range(1, 11))
    # raw bag-of-words counts: non-negative integers, no empty image
    assert X.min() == 0
    assert np.array_equal(X, np.round(X))
    assert (X.sum(axis=1) > 0).all()


def test_office_caltech_domain_names(shared_data):
    X_alias, y_alias = fetch_office_caltech("Caltech10")
    X, y = fetch_office_caltech("caltech")
    assert np.array_equal(X, X_alias) and np.array_equal(y, y_alias)
    with pytest.raises(ValueError, match="Unknown Office\\+Caltech10 domain 'imagenet'.*'amazon'"):
        fetch_office_caltech("imagenet")


def test_office_caltech_domains_differ(shared_data):
    # the point of the benchmark: same classes, different feature statistics
    Xa, _ = fetch_office_caltech("amazon")
    Xw, _ = fetch_office_caltech("webcam")
    mean_a = (Xa / Xa.sum(1, keepdims=True)).mean(0)
    mean_w = (Xw / Xw.sum(1, keepdims=True)).mean(0)
    assert np.abs(mean_a - mean_w).sum() > 0.1


@pytest.mark.parametrize(
    "domain, n_rows", [("books", 2000), ("dvd", 1999), ("elec", 1998), ("kitchen", 1999)]
)
def test_amazon_reviews_domains(shared_data, domain, n_rows):
    X, y = fetch_amazon_reviews(domain)
    assert X.shape == (n_rows, 400)
    assert X.dtype == np.float64
    assert 0 <= X.min() and X.max() <= 1
    assert set(np.unique(y)) == {0, 1}
    assert abs(y.mean() - 0.5) < 0.01  # balanced sentiment


def test_amazon_reviews_alias_and_unknown(shared_data):
    X, _ = fetch_amazon_reviews("electronics")
    assert X.shape == (1998, 400)
    with pytest.raises(ValueError, match="Unknown Amazon reviews domain"):
        fetch_amazon_reviews("toys")


def test_mnist_usps_directions(shared_data):
    pytest.importorskip("h5py")
    Xs, ys, Xt, yt = fetch_mnist_usps("mnist_usps")
    assert Xs.shape == (2000, 256) and Xt.shape == (1800, 256)
    assert ys.shape == (2000,) and yt.shape == (1800,)
    assert Xs.dtype == Xt.dtype == np.float64 and ys.dtype == np.int64
    assert set(np.unique(ys)) == set(np.unique(yt)) == set(range(1, 11))
    assert 0 <= Xs.min() and Xs.max() <= 1
    assert Xs.flags.c_contiguous
    # the reverse task swaps the two domains
    Us, us, Ut, ut = fetch_mnist_usps("usps_mnist")
    assert np.array_equal(Us, Xt) and np.array_equal(us, yt)
    assert np.array_equal(Ut, Xs) and np.array_equal(ut, ys)
    with pytest.raises(ValueError, match="Unknown MNIST/USPS direction"):
        fetch_mnist_usps("svhn_mnist")


def test_mnist_usps_images_are_row_major(shared_data):
    """A zero (label 1) is a closed loop: hollow at its centre, ink around it."""
    pytest.importorskip("h5py")
    Xs, ys, _, _ = fetch_mnist_usps("mnist_usps")
    zeros = Xs[ys == 1].reshape(-1, 16, 16).mean(axis=0)
    ones = Xs[ys == 2].reshape(-1, 16, 16).mean(axis=0)
    assert zeros[7:9, 7:9].mean() < zeros[7:9, 3:6].mean()
    # a one is a vertical stroke: more ink down the middle column than across the middle row
    assert ones[:, 7:9].mean() > ones[7:9, :].mean()


def test_mnist_usps_needs_h5py(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match="pip install h5py"):
        fetch_mnist_usps(data_home=tmp_path, download=False)


def test_data_home_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("SKTRANSFER_DATA_HOME", str(tmp_path / "from_env"))
    assert get_data_home() == tmp_path / "from_env"
    assert get_data_home(tmp_path / "arg") == tmp_path / "arg"  # the argument wins
    monkeypatch.delenv("SKTRANSFER_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home() == tmp_path / "sktransfer_data"


@needs_data
def test_data_home_argument_beats_environment(monkeypatch, tmp_path, no_network):
    monkeypatch.setenv("SKTRANSFER_DATA_HOME", str(tmp_path))  # empty: would need a download
    X, _ = fetch_office_caltech("dslr", data_home=SHARED_DATA)
    assert X.shape == (157, 800)


def test_missing_file_error(monkeypatch, tmp_path, no_network):
    monkeypatch.delenv("SKTRANSFER_DATA_HOME", raising=False)
    with pytest.raises(FileNotFoundError) as info:
        fetch_office_caltech("webcam", data_home=tmp_path, download=False)
    message = str(info.value)
    assert "webcam_SURF_L10.mat not found" in message
    assert str(tmp_path / "office_caltech10_surf" / "webcam_SURF_L10.mat") in message
    assert "SKTRANSFER_DATA_HOME" in message and "data_home" in message
    assert not (tmp_path / "office_caltech10_surf").exists()  # nothing created


@needs_data
def test_checksum_mismatch_is_an_error(tmp_path, no_network):
    folder = tmp_path / "office_caltech10_surf"
    folder.mkdir()
    corrupt = bytearray(OFFICE_FILE.read_bytes())
    corrupt[-1] ^= 0xFF
    (folder / "amazon_SURF_L10.mat").write_bytes(bytes(corrupt))
    with pytest.raises(OSError, match="Checksum mismatch for amazon_SURF_L10.mat"):
        fetch_office_caltech("amazon", data_home=tmp_path)


def _serve(payload, calls):
    """A stand-in for urllib.request.urlopen that serves ``payload``."""

    def fake_urlopen(request, timeout=None):
        calls.append(request.full_url)
        assert timeout is not None  # a download never hangs forever
        return io.BytesIO(payload)

    return fake_urlopen


@needs_data
def test_download_verifies_and_caches(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(urllib.request, "urlopen", _serve(OFFICE_FILE.read_bytes(), calls))
    X, y = fetch_office_caltech("amazon", data_home=tmp_path)
    assert X.shape == (958, 800) and set(y) == set(range(1, 11))
    assert len(calls) == 1
    assert calls[0].startswith("https://") and calls[0].endswith("/amazon_SURF_L10.mat")
    target = tmp_path / "office_caltech10_surf" / "amazon_SURF_L10.mat"
    assert hashlib.sha256(target.read_bytes()).hexdigest() == _benchmarks._OFFICE_FILES["amazon"][1]
    assert sorted(p.name for p in target.parent.iterdir()) == ["amazon_SURF_L10.mat"]  # no temp file left
    # second call: served from the cache, no download
    X2, _ = fetch_office_caltech("amazon", data_home=tmp_path)
    assert np.array_equal(X, X2) and len(calls) == 1


@needs_data
def test_download_of_other_benchmarks_uses_the_same_helper(monkeypatch, tmp_path):
    calls = []
    books = SHARED_DATA / "amazon_review_400" / "books_400.mat"
    monkeypatch.setattr(urllib.request, "urlopen", _serve(books.read_bytes(), calls))
    monkeypatch.setenv("SKTRANSFER_DATA_HOME", str(tmp_path))
    X, y = fetch_amazon_reviews("books")
    assert X.shape == (2000, 400)
    assert calls[0].endswith("/books_400.mat")
    assert (tmp_path / "amazon_review_400" / "books_400.mat").is_file()


def test_download_with_wrong_bytes_leaves_nothing(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(urllib.request, "urlopen", _serve(b"<html>not the file</html>", calls))
    with pytest.raises(OSError, match="checksum mismatch for dslr_SURF_L10.mat") as info:
        fetch_office_caltech("dslr", data_home=tmp_path)
    assert "SKTRANSFER_DATA_HOME" in str(info.value)
    assert not (tmp_path / "office_caltech10_surf").exists()  # no file, temp file or empty folder


def test_download_failure_is_a_clear_error(monkeypatch, tmp_path):
    def unreachable(request, timeout=None):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    with pytest.raises(OSError) as info:
        fetch_amazon_reviews("kitchen", data_home=tmp_path)
    message = str(info.value)
    assert "Could not download kitchen_400.mat" in message
    assert str(tmp_path / "amazon_review_400" / "kitchen_400.mat") in message
    assert "Name or service not known" in message
    assert "SKTRANSFER_DATA_HOME" in message and "data_home" in message
    assert not (tmp_path / "amazon_review_400").exists()


def test_every_remote_is_pinned_and_checksummed():
    remotes = (
        [_benchmarks._office_remote(d) for d in _benchmarks.OFFICE_CALTECH_DOMAINS]
        + [_benchmarks._amazon_remote(d) for d in _benchmarks.AMAZON_REVIEWS_DOMAINS]
        + [_benchmarks._mnist_usps_remote(d) for d in _benchmarks.MNIST_USPS_DIRECTIONS]
    )
    for remote in remotes:
        assert len(remote.sha256) == 64
        assert remote.urls and all(u.startswith("https://") and u.endswith("/" + remote.filename) for u in remote.urls)


@needs_data
def test_checksums_match_the_shared_sha256sums():
    listed = {}
    for line in (SHARED_DATA / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.removeprefix("./")] = digest
    remotes = (
        [_benchmarks._office_remote(d) for d in _benchmarks.OFFICE_CALTECH_DOMAINS]
        + [_benchmarks._amazon_remote(d) for d in _benchmarks.AMAZON_REVIEWS_DOMAINS]
        + [_benchmarks._mnist_usps_remote(d) for d in _benchmarks.MNIST_USPS_DIRECTIONS]
    )
    for remote in remotes:
        assert listed[f"{remote.folder}/{remote.filename}"] == remote.sha256


@needs_data
def test_a_copied_data_folder_is_used_without_download(tmp_path, no_network):
    # a directory laid out like the shared one is used as it is
    shutil.copytree(SHARED_DATA / "office_caltech10_surf", tmp_path / "office_caltech10_surf")
    X, _ = fetch_office_caltech("webcam", data_home=tmp_path, download=False)
    assert X.shape == (295, 800)
