"""Fine-tuning of pretrained networks: FineTunedClassifier / FineTunedRegressor."""

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

import sklearn  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402
from torch import nn  # noqa: E402

from sktransfer.deep import BackboneFeatures, FineTunedClassifier, FineTunedRegressor  # noqa: E402
from _expected_failures import skorch_net_expected_failed_checks  # noqa: E402

N_FEATURES, N_CLASSES = 20, 4


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets: threads only add overhead on a shared machine
    yield
    torch.set_num_threads(threads)


def sector_task(n, seed, rotate=0.0, shift=0.0):
    """Labels: the angular sector (4 classes) of a fixed 2-d projection of 20-d rows.

    The target task (``rotate``, ``shift``) keeps the projection (what a
    pretrained network can learn) but turns the sectors and moves the rows."""
    W = np.random.default_rng(0).normal(size=(N_FEATURES, 2))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FEATURES)) + shift
    z = (X - shift) @ W
    angle = (np.arctan2(z[:, 1], z[:, 0]) + rotate) % (2 * np.pi)
    return X.astype(np.float32), (angle // (np.pi / 2)).astype(np.int64)


class SectorNet(nn.Module):
    """A body (Linear, BatchNorm, ReLU, Linear, ReLU) and the source task's head."""

    def __init__(self, n_features=N_FEATURES, n_classes=N_CLASSES):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, 64), nn.BatchNorm1d(64), nn.ReLU(),
                                  nn.Linear(64, 32), nn.ReLU())
        self.head = nn.Linear(32, n_classes)

    def forward(self, X):
        return self.head(self.body(X))


def body_features(backbone, X):
    """A module-level ``layer`` callable (so that the net pickles)."""
    return backbone.body(X)


@pytest.fixture(scope="module")
def pretrained():
    """SectorNet trained on the source task with a plain torch loop, in eval mode."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        X, y = (torch.from_numpy(a) for a in sector_task(1500, seed=1))
        net = SectorNet()
        optimizer = torch.optim.Adam(net.parameters(), 3e-3)
        for _ in range(20):
            for rows in torch.randperm(len(X)).split(64):
                optimizer.zero_grad()
                nn.functional.cross_entropy(net(X[rows]), y[rows]).backward()
                optimizer.step()
    assert (net(X).argmax(1) == y).float().mean() > 0.97
    return net.eval()


def target_rows(n=64, seed=0):
    return sector_task(n, seed=seed, rotate=np.pi / 4, shift=0.5)


def state(module):
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def changed(before, module):
    after = module.state_dict()
    return sorted(name for name in before if not torch.equal(before[name], after[name]))


FAST = dict(lr=0.01, max_epochs=5, batch_size=16, random_state=0)


# ---- what trains -----------------------------------------------------------


def test_frozen_backbone_stays_exactly_as_pretrained_and_its_batch_norm_in_eval(pretrained):
    X, y = target_rows()
    before = state(pretrained)
    clf = FineTunedClassifier(pretrained, layer="body", unfreeze=0, **FAST).fit(X, y)
    backbone = clf.module_.feature_extractor.backbone
    # weights and batch-norm running statistics: bit for bit, although the module trained
    assert changed(before, backbone) == []
    assert clf.frozen_norm_layers_ == ["body.1"]
    assert clf.trained_blocks_ == [] and clf.pretrained_params_ == {}
    # the head learned; only its parameters reached the optimizer
    assert clf.score(X, y) > 0.5
    optimized = {id(p) for group in clf.optimizer_.param_groups for p in group["params"]}
    assert optimized == {id(p) for p in clf.module_.label_head.parameters()}
    # the user's module was never touched, and stays in the mode it was given in
    assert changed(before, pretrained) == [] and not pretrained.training


def test_full_fine_tuning_trains_batch_norm_statistics_too(pretrained):
    # the contrast of the test above: it would fail if nothing trained at all
    X, y = target_rows()
    before = state(pretrained)
    clf = FineTunedClassifier(pretrained, layer="body", **FAST).fit(X, y)
    moved = changed(before, clf.module_.feature_extractor.backbone)
    assert "body.1.running_mean" in moved and "body.0.weight" in moved
    assert "head.weight" not in moved  # after the layer read: never runs, never trains
    assert clf.frozen_norm_layers_ == []
    assert changed(before, pretrained) == []  # fit trained a copy


def test_last_k_blocks_unfreezes_only_those_blocks(pretrained):
    X, y = target_rows()
    before = state(pretrained)
    clf = FineTunedClassifier(pretrained, layer="body.3", blocks="body", unfreeze=1, **FAST).fit(X, y)
    # blocks: the children of `body` holding parameters, up to the layer read (ReLU 2 holds none)
    assert clf.blocks_ == ["body.0", "body.1", "body.3"]
    assert clf.trained_blocks_ == ["body.3"]
    assert sorted(clf.pretrained_params_) == ["feature_extractor.backbone.body.3.bias",
                                              "feature_extractor.backbone.body.3.weight"]
    assert changed(before, clf.module_.feature_extractor.backbone) == ["body.3.bias", "body.3.weight"]
    assert clf.frozen_norm_layers_ == ["body.1"]

    clf2 = FineTunedClassifier(pretrained, layer="body", blocks="body", unfreeze=2, **FAST).fit(X, y)
    assert clf2.trained_blocks_ == ["body.1", "body.3"]
    moved = changed(before, clf2.module_.feature_extractor.backbone)
    assert set(moved) == {"body.1.weight", "body.1.bias", "body.1.running_mean", "body.1.running_var",
                          "body.1.num_batches_tracked", "body.3.weight", "body.3.bias"}
    # top-level children as blocks: `body`, and `head` (registered after the layer read) is none
    assert FineTunedClassifier(pretrained, layer="body", unfreeze=1, **FAST).fit(X, y).blocks_ == ["body"]


def test_backbone_lr_factor_zero_leaves_the_backbone_unchanged(pretrained):
    X, y = target_rows()
    before = state(pretrained)
    clf = FineTunedClassifier(pretrained, layer="body", backbone_lr_factor=0.0, **FAST).fit(X, y)
    moved = changed(before, clf.module_.feature_extractor.backbone)
    assert [name for name in moved if not name.startswith("body.1.running")
            and name != "body.1.num_batches_tracked"] == []
    lrs = sorted(group["lr"] for group in clf.optimizer_.param_groups)
    assert lrs == [0.0, 0.01]
    # a factor of 0.1: the backbone group learns at lr / 10, the head at lr
    clf = FineTunedClassifier(pretrained, layer="body", backbone_lr_factor=0.1,
                              **dict(FAST, max_epochs=1)).fit(X, y)
    groups = {len(g["params"]): g["lr"] for g in clf.optimizer_.param_groups}
    assert groups == {6: pytest.approx(0.001), 2: 0.01}
    # a new lr on the fitted net (for partial_fit) keeps the factor
    clf.set_params(lr=0.05)
    groups = {len(g["params"]): g["lr"] for g in clf.optimizer_.param_groups}
    assert groups == {6: pytest.approx(0.005), 2: 0.05}


# ---- L2-SP -----------------------------------------------------------------


def test_l2sp_penalty_is_alpha_half_squared_distance_to_the_pretrained_weights(pretrained):
    X, y = target_rows()
    clf = FineTunedClassifier(pretrained, layer="body", unfreeze=1, blocks="body", alpha=0.3,
                              beta=0.2, **dict(FAST, max_epochs=1)).fit(X, y)
    params = dict(clf.module_.named_parameters())
    drift = sum(((params[name] - w0) ** 2).sum() for name, w0 in clf.pretrained_params_.items())
    head = sum((p ** 2).sum() for p in clf.module_.label_head.parameters())
    assert float(drift) > 0
    expected = 0.3 / 2 * drift + 0.2 / 2 * head
    assert float(clf.l2sp_penalty()) == pytest.approx(float(expected), rel=1e-6)
    # get_loss adds it in training only, to the mean cross-entropy of the batch
    Xb, yb = torch.from_numpy(X[:8]), torch.from_numpy(y[:8])
    with torch.no_grad():
        logits = clf.module_(Xb)
        label_loss = nn.functional.cross_entropy(logits, yb)
        assert float(clf.get_loss(logits, yb, training=True)) == pytest.approx(
            float(label_loss + expected), rel=1e-6)
        assert float(clf.get_loss(logits, yb, training=False)) == pytest.approx(float(label_loss))


def test_l2sp_huge_alpha_holds_the_weights_and_zero_alpha_is_plain_fine_tuning(pretrained):
    X, y = target_rows()
    params = dict(FAST, max_epochs=10)

    def drift(clf):
        named = dict(clf.module_.named_parameters())
        return float(sum(((named[n] - w0) ** 2).sum() for n, w0 in clf.pretrained_params_.items()))

    plain = FineTunedClassifier(pretrained, layer="body", **params).fit(X, y)
    held = FineTunedClassifier(pretrained, layer="body", alpha=1e4, **params).fit(X, y)
    zero = FineTunedClassifier(pretrained, layer="body", alpha=0.0, beta=0.0, **params).fit(X, y)
    assert drift(plain) > 0.1
    assert drift(held) < 0.01 * drift(plain)
    assert held.history[-1, "batches", -1, "train_penalty"] > 0
    assert zero.history[:, "train_loss"] == plain.history[:, "train_loss"]
    assert "train_penalty" not in plain.history[-1, "batches", -1]


# ---- transfer works --------------------------------------------------------


def test_fine_tuning_beats_training_from_scratch_on_few_target_labels(pretrained):
    X_test, y_test = target_rows(2000, seed=99)
    with torch.no_grad():  # the source head is wrong on the target task: a new head is needed
        source_head = (pretrained(torch.from_numpy(X_test)).argmax(1).numpy() == y_test).mean()
    assert source_head < 0.6
    gains = []
    for seed in (0, 1):
        X_pool, y_pool = target_rows(400, seed=seed + 10)
        rng = np.random.default_rng(seed)
        rows = np.concatenate([rng.choice(np.flatnonzero(y_pool == c), 8, replace=False)
                               for c in range(N_CLASSES)])
        params = dict(lr=0.01, max_epochs=40, batch_size=16, random_state=seed)
        scratch = FineTunedClassifier(SectorNet, layer="body", **params).fit(X_pool[rows], y_pool[rows])
        frozen = FineTunedClassifier(pretrained, layer="body", unfreeze=0, **params)
        full = FineTunedClassifier(pretrained, layer="body", alpha=0.01, **params)
        base = scratch.score(X_test, y_test)
        gains.append([frozen.fit(X_pool[rows], y_pool[rows]).score(X_test, y_test) - base,
                      full.fit(X_pool[rows], y_pool[rows]).score(X_test, y_test) - base])
    mean_gain = np.mean(gains, axis=0)
    assert (mean_gain > 0.1).all(), gains


# ---- the domain convention and the sklearn side -----------------------------


def test_unlabelled_rows_are_left_out():
    X, y = sector_task(120, seed=3)
    masked = y.copy()
    masked[60:] = -1
    with_masked = FineTunedClassifier(**FAST).fit(X, masked)
    labelled_only = FineTunedClassifier(**FAST).fit(X[:60], y[:60])
    np.testing.assert_array_equal(with_masked.predict_proba(X), labelled_only.predict_proba(X))
    with pytest.raises(ValueError, match="every row is unlabelled"):
        FineTunedClassifier(**FAST).fit(X, np.full(len(X), -1))
    target = X.sum(axis=1)
    target[60:] = np.nan
    reg = FineTunedRegressor(**FAST).fit(X, target)
    assert np.isfinite(reg.predict(X)).all()
    with pytest.raises(ValueError, match="every row is unlabelled"):
        FineTunedRegressor(**FAST).fit(X, np.full(len(X), np.nan))


def test_string_labels_pickle_clone_and_callable_layer(pretrained):
    X, y = target_rows()
    names = np.array(["north", "east", "south", "west"])[y]
    clf = FineTunedClassifier(pretrained, layer=body_features, unfreeze=1, **FAST).fit(X, names)
    assert list(clf.classes_) == ["east", "north", "south", "west"]
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    assert set(clf.predict(X)) <= set(names)
    # with a callable, the blocks are the backbone's top-level children
    assert clf.blocks_ == ["body", "head"] and clf.trained_blocks_ == ["head"]
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.pretrained_params_.keys() == clf.pretrained_params_.keys()
    # clone copies the backbone; its fit reproduces the first one
    copy = sklearn.clone(clf)
    assert copy.module is not pretrained
    np.testing.assert_array_equal(copy.fit(X, names).predict_proba(X), clf.predict_proba(X))


CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="CUDA is not available on this machine")


def test_a_net_saved_for_cuda_loads_on_a_cpu_only_machine(pretrained, monkeypatch):
    """The pretrained weights w0 of L2-SP are mapped to the CPU with the module
    when a net pickled with device='cuda' is loaded where CUDA is absent (the
    'cuda' net is simulated on the CPU)."""
    from skorch.exceptions import DeviceWarning

    X, y = target_rows()
    clf = FineTunedClassifier(pretrained, layer="body", alpha=0.1, **FAST).fit(X, y)
    expected = clf.predict_proba(X)
    clf.device = "cuda"  # as if trained on a GPU (the tensors are on the CPU here)
    payload = pickle.dumps(clf)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning, match="cpu"):
        loaded = pickle.loads(payload)
    assert str(loaded.device) == "cpu"
    assert all(w0.device.type == "cpu" for w0 in loaded.pretrained_params_.values())
    np.testing.assert_allclose(loaded.predict_proba(X), expected)
    loaded.set_params(max_epochs=1).partial_fit(X, y)  # training goes on, penalty included


@needs_cuda
@pytest.mark.parametrize("unfreeze", [0, 1, "all"])
def test_fine_tuning_on_cuda_and_loading_on_a_cpu_only_machine(pretrained, unfreeze, monkeypatch):
    from skorch.exceptions import DeviceWarning

    X, y = target_rows()
    clf = FineTunedClassifier(pretrained, layer="body", unfreeze=unfreeze, alpha=0.1, beta=0.01,
                              device="cuda", **FAST).fit(X, y)
    assert all(p.is_cuda for p in clf.module_.parameters())
    assert all(w0.is_cuda for w0 in clf.pretrained_params_.values())
    assert next(pretrained.parameters()).device.type == "cpu"  # the user's backbone stays put
    expected = clf.predict_proba(X)
    payload = pickle.dumps(clf)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning):
        loaded = pickle.loads(payload)
    assert all(not p.is_cuda for p in loaded.module_.parameters())
    np.testing.assert_allclose(loaded.predict_proba(X), expected, atol=1e-4)


@needs_cuda
def test_fine_tuned_regressor_on_cuda():
    X, y = target_rows()
    reg = FineTunedRegressor(device="cuda", **FAST).fit(X, y.astype(np.float32))
    assert next(reg.module_.parameters()).is_cuda
    assert np.isfinite(reg.predict(X)).all()


def test_pipeline_and_grid_search(pretrained):
    X, y = target_rows(96)
    pipe = make_pipeline(StandardScaler(), FineTunedClassifier(pretrained, layer="body", **FAST))
    grid = GridSearchCV(pipe, {"finetunedclassifier__unfreeze": [0, "all"],
                               "finetunedclassifier__alpha": [0.0, 0.1]}, cv=2).fit(X, y)
    assert grid.best_score_ > 0.4
    assert grid.predict(X).shape == (96,)


def test_clear_errors(pretrained):
    X, y = target_rows(32)
    with pytest.raises(ValueError, match="'bdy' is not a submodule.*'body'"):
        FineTunedClassifier(pretrained, layer="bdy", **FAST).fit(X, y)
    with pytest.raises(ValueError, match="unfreeze=3 but the backbone has 2 block"):
        FineTunedClassifier(pretrained, unfreeze=3, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="module is an instance"):
        FineTunedClassifier(pretrained, module__n_features=3, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="unfreeze"):
        FineTunedClassifier(pretrained, unfreeze="some", **FAST).fit(X, y)
    with pytest.raises(ValueError, match="alpha"):
        FineTunedClassifier(pretrained, alpha=-1.0, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="failed on input rows of shape"):
        FineTunedClassifier(pretrained, **FAST).fit(X[:, :5], y)


def test_backbone_features_reads_a_layer_and_stops_there():
    calls = []
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    net[2].register_forward_hook(lambda *args: calls.append(1))
    out = BackboneFeatures(net, layer="1")(torch.ones(5, 3))
    assert torch.equal(out, torch.relu(net[0](torch.ones(5, 3))))
    assert calls == []  # the old head did not run


# ---- sklearn's estimator checks ----------------------------------------------------

CHECK_PARAMS = dict(max_epochs=10, lr=0.01, random_state=0)
CHECKED = [
    FineTunedClassifier(**CHECK_PARAMS),
    FineTunedClassifier(unfreeze=0, alpha=0.1, beta=0.01, backbone_lr_factor=0.1, **CHECK_PARAMS),
    FineTunedRegressor(**CHECK_PARAMS),
]


@parametrize_with_checks(CHECKED, expected_failed_checks=skorch_net_expected_failed_checks)
def test_sklearn_compatible_fine_tuned_net(estimator, check):
    check(estimator)
