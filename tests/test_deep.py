"""Deep domain adaptation on skorch: DANN, DeepCORAL / MMD alignment."""

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

import sklearn  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402
from skorch.exceptions import DeviceWarning  # noqa: E402

from sktransfer import DomainWarning, make_da_pipeline, stack_domains  # noqa: E402
from sktransfer.datasets import make_shifted_blobs  # noqa: E402
from sktransfer.deep import (  # noqa: E402
    MLP,
    DomainAdversarialClassifier,
    DomainAdversarialRegressor,
    DomainAlignmentClassifier,
    DomainAlignmentRegressor,
    DomainBalancedBatchSampler,
    SmallCNN,
    coral_loss,
    ganin_lambda,
    ganin_lr_factor,
    grad_reverse,
    mmd_loss,
)
from _expected_failures import skorch_net_expected_failed_checks  # noqa: E402

CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="CUDA is not available on this machine")

ALL_NETS = [DomainAdversarialClassifier, DomainAlignmentClassifier,
            DomainAdversarialRegressor, DomainAlignmentRegressor]
CLASSIFIERS = [DomainAdversarialClassifier, DomainAlignmentClassifier]


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets: threads only add overhead on a shared machine
    yield
    torch.set_num_threads(threads)


def blobs(seed=0, n=300):
    Xs, ys, Xt, yt = make_shifted_blobs(n, n_features=5, n_classes=3, shift="stretch",
                                        random_state=seed)
    X, y, sample_domain = stack_domains(Xs, ys, Xt)
    return X.astype(np.float32), y, sample_domain, Xt, yt


def regression_shift(seed=0, n=300):
    """y depends on a latent point; the target sees it through a stretch and a translation."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=2.0, size=(4, 4))
    weights = rng.normal(size=4)

    def draw():
        z = centres[rng.integers(0, 4, n)] + rng.normal(size=(n, 4))
        return z, z @ weights + np.sin(z[:, 0])

    Zs, ys = draw()
    Zt, yt = draw()
    A = np.diag([1.8, 0.6, 1.3, 0.8])
    Xt = Zt @ A + 1.0
    X = np.vstack([Zs, Xt]).astype(np.float32)
    y = np.r_[ys, np.full(n, np.nan)]
    return X, y, Xt, yt


# ---- building blocks -------------------------------------------------------


def test_gradient_reversal_flips_the_gradient_times_lambda():
    x = torch.randn(4, 3, requires_grad=True)
    weights = torch.randn(4, 3)
    out = grad_reverse(x, 0.3)
    assert torch.equal(out, x)  # identity forward
    (out * weights).sum().backward()
    assert torch.allclose(x.grad, -0.3 * weights)


def test_ganin_schedules():
    assert ganin_lambda(0.0) == 0.0
    assert ganin_lambda(0.5) == pytest.approx(2 / (1 + np.exp(-5)) - 1)
    assert ganin_lambda(1.0) == pytest.approx(0.99991, abs=1e-5)
    assert ganin_lr_factor(0.5) == pytest.approx(1 / 6 ** 0.75)


def test_batch_sampler_holds_the_fixed_proportion_and_covers_the_source():
    source, target = np.arange(0, 23), np.arange(23, 30)
    sampler = DomainBalancedBatchSampler(source, target, n_rows=30, batch_size=10,
                                         target_fraction=0.3, seed=0)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 4  # ceil(23 / 7)
    counts = [(sum(p < 30 for p in b), sum(p >= 30 for p in b)) for b in batches]
    assert counts[:3] == [(7, 3)] * 3
    assert counts[3] == (2, 1)  # the last batch keeps the proportion
    seen_source = sorted(p for b in batches for p in b if p < 30)
    assert seen_source == list(source)  # every source row once per epoch
    drawn = [p - 30 for b in batches for p in b if p >= 30]
    assert set(drawn) <= set(target)
    # target rows are drawn from a shuffled cycle: all 7 before any repeats
    assert len(set(drawn[:7])) == 7


def test_batch_sampler_with_fewer_source_rows_than_a_batch():
    sampler = DomainBalancedBatchSampler(range(5), range(5, 50), n_rows=50, batch_size=64,
                                         target_fraction=0.25, seed=0)
    (batch,) = list(sampler)
    n_source = sum(p < 50 for p in batch)
    n_target = len(batch) - n_source
    assert (n_source, n_target) == (5, 2)  # 16/48 of 5, rounded


def test_alignment_losses():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 3, generator=g)
    z = torch.randn(200, 3, generator=g)
    assert float(coral_loss(x, x)) == 0.0
    assert float(coral_loss(x, 2 * z)) > 10 * float(coral_loss(x, z))
    # unbiased: about 0 between two samples of one law
    assert abs(float(mmd_loss(x, z))) < 0.02
    assert float(mmd_loss(x, z)) < float(mmd_loss(x, z + 1.0)) < float(mmd_loss(x, z + 3.0))
    # the loss reaches the features with finite gradients (no square root at distance 0)
    x.requires_grad_(True)
    mmd_loss(x, z + 1.0).backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_default_mlp_is_sized_from_the_data():
    X, y, _, _, _ = blobs(n=60)
    net = DomainAdversarialClassifier(max_epochs=1, random_state=0).fit(X, y)
    first = net.module_.feature_extractor.layers[0]
    assert first.in_features == 5 and first.out_features == 32
    wide = np.hstack([X] * 20)  # 100 features -> 256 units
    net = DomainAdversarialClassifier(max_epochs=1, random_state=0).fit(wide, y)
    assert net.module_.feature_extractor.layers[0].out_features == 256
    assert net.module_.label_head.out_features == 3
    assert net.module_.domain_head.layers[0].out_features == 100  # the paper's domain head


# ---- training --------------------------------------------------------------


class BatchComposition(Callback):
    def initialize(self):
        self.counts = []
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            is_target = batch[1][1]
            self.counts.append((int((~is_target).sum()), int(is_target.sum())))


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_training_batches_hold_source_and_target_in_fixed_proportion(cls):
    X, y, _, _, _ = blobs(n=100)
    recorder = BatchComposition()
    cls(max_epochs=2, batch_size=20, target_fraction=0.25, callbacks=[recorder],
        random_state=0).fit(X, y)
    # 100 source rows, 15 per batch: 6 full batches and a last one of 10 + 3
    assert recorder.counts == ([(15, 5)] * 6 + [(10, 3)]) * 2


@pytest.mark.parametrize("cls, part", [(DomainAdversarialClassifier, "train_domain_loss"),
                                       (DomainAlignmentClassifier, "train_alignment_loss"),
                                       (DomainAdversarialRegressor, "train_domain_loss")])
def test_history_has_each_loss_part_per_epoch(cls, part):
    if cls is DomainAdversarialRegressor:
        X, y, _, _ = regression_shift(n=80)
    else:
        X, y, _, _, _ = blobs(n=80)
    net = cls(max_epochs=4, random_state=0, adaptation_schedule="ganin", lr_schedule="ganin").fit(X, y)
    history = net.history
    assert len(history) == 4
    for key in ("train_loss", "train_label_loss", part, "adaptation_factor", "lr", "dur"):
        assert all(np.isfinite(history[:, key])), key
    # the batch-level parts add up to the total loss of the batch
    batch = history[-1, "batches", 0]
    if cls is DomainAlignmentClassifier:
        assert batch["train_loss"] == pytest.approx(
            batch["train_label_loss"] + history[-1, "adaptation_factor"] * batch[part], rel=0.2)
    else:
        assert batch["train_loss"] == pytest.approx(batch["train_label_loss"] + batch[part])
    # the schedules of the paper: lambda rises, the learning rate anneals
    factors, lrs = history[:, "adaptation_factor"], history[:, "lr"]
    assert all(np.diff(factors) > 0) and 0 < factors[0] < factors[-1] < 1
    assert all(np.diff(lrs) < 0) and lrs[-1] < net.lr


def test_constant_schedules():
    X, y, _, _, _ = blobs(n=60)
    net = DomainAdversarialClassifier(max_epochs=3, adaptation_schedule="constant",
                                      adaptation_weight=0.4, lr=0.01, random_state=0).fit(X, y)
    assert net.history[:, "adaptation_factor"] == [0.4] * 3
    assert net.history[:, "lr"] == [0.01] * 3


def test_dann_adapts_on_a_covariate_shift():
    """DANN beats the same network trained on the source only (adaptation_weight=0)."""
    gains = []
    for seed in range(3):
        X, y, _, Xt, yt = blobs(seed)
        accuracy = {}
        for weight in (0.0, 1.0):
            net = DomainAdversarialClassifier(max_epochs=100, adaptation_weight=weight,
                                              random_state=seed).fit(X, y)
            accuracy[weight] = np.mean(net.predict(Xt) == yt)
        gains.append(accuracy[1.0] - accuracy[0.0])
    assert np.mean(gains) > 0.03, gains
    assert min(gains) > -0.02, gains


def test_mmd_alignment_adapts_on_a_covariate_shift():
    gains = []
    for seed in range(2):
        X, y, _, Xt, yt = blobs(seed)
        accuracy = {}
        for weight in (0.0, 1.0):
            net = DomainAlignmentClassifier(loss="mmd", max_epochs=60, adaptation_weight=weight,
                                            random_state=seed).fit(X, y)
            accuracy[weight] = np.mean(net.predict(Xt) == yt)
        gains.append(accuracy[1.0] - accuracy[0.0])
    assert np.mean(gains) > 0.02, gains


@pytest.mark.parametrize("loss, distance", [("coral", coral_loss), ("mmd", mmd_loss)])
def test_alignment_brings_the_domain_features_together(loss, distance):
    X, y, _, Xt, _ = blobs(0, n=200)
    gaps = {}
    for weight in (0.0, 1.0):
        net = DomainAlignmentClassifier(loss=loss, max_epochs=30, adaptation_weight=weight,
                                        random_state=0).fit(X, y)
        with torch.no_grad():
            features = net.module_.features(torch.as_tensor(X))
        gaps[weight] = float(distance(features[:200], features[200:]))
    assert gaps[1.0] < 0.5 * gaps[0.0], gaps


def test_dann_regressor_adapts_on_a_regression_shift():
    errors = {}
    for weight in (0.0, 1.0):
        mse = []
        for seed in range(2):
            X, y, Xt, yt = regression_shift(seed)
            reg = DomainAdversarialRegressor(max_epochs=60, adaptation_weight=weight,
                                             random_state=seed).fit(X, y)
            mse.append(np.mean((reg.predict(Xt) - yt) ** 2))
        errors[weight] = np.mean(mse)
    assert errors[1.0] < 0.9 * errors[0.0], errors


def test_random_state_makes_fits_reproducible_and_leaves_torch_rng_alone():
    X, y, _, Xt, _ = blobs(n=60)
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = DomainAdversarialClassifier(max_epochs=3, random_state=7).fit(X, y)
    assert torch.equal(torch.rand(1), expected_next)  # the user's torch RNG is untouched
    b = DomainAdversarialClassifier(max_epochs=3, random_state=7).fit(X, y)
    c = DomainAdversarialClassifier(max_epochs=3, random_state=8).fit(X, y)
    assert np.array_equal(a.predict_proba(Xt), b.predict_proba(Xt))
    assert a.history[:, "train_domain_loss"] == b.history[:, "train_domain_loss"]
    assert not np.array_equal(a.predict_proba(Xt), c.predict_proba(Xt))


def test_early_stopping_on_a_source_holdout():
    X, y, _, _, _ = blobs(n=200)
    net = DomainAdversarialClassifier(max_epochs=300, early_stopping=True, n_iter_no_change=3,
                                      validation_fraction=0.2, lr=0.01, random_state=0).fit(X, y)
    assert len(net.history) < 300
    # the validation rows are 20% of the 200 labelled source rows, no target row
    assert sum(net.history[-1, "batches", :, "valid_batch_size"]) == 40
    valid = net.history[:, "valid_loss"]
    assert min(valid) < valid[0]
    assert pickle.loads(pickle.dumps(net)).predict(X[:5]).shape == (5,)


def test_progress_bar_and_verbose(capsys):
    X, y, _, _, _ = blobs(n=40)
    net = DomainAdversarialClassifier(max_epochs=2, progress_bar=True, verbose=1,
                                      random_state=0).fit(X, y)
    assert "progress_bar" in dict(net.callbacks_)
    out = capsys.readouterr().out
    assert "train_domain_loss" in out  # skorch's table, one column per loss part
    quiet = DomainAdversarialClassifier(max_epochs=1, random_state=0, verbose=0).fit(X, y)
    assert "progress_bar" not in dict(quiet.callbacks_)
    assert capsys.readouterr().out == ""


# ---- labels, domains ---------------------------------------------------------


def test_string_labels_binary_and_multiclass():
    X, y, sample_domain, Xt, yt = blobs(n=90)
    names = np.array(["cat", "dog", "eel"], dtype=object)
    y_str = np.where(y >= 0, names[np.clip(y, 0, 2)], -1)  # -1 masks in an object array
    clf = DomainAdversarialClassifier(max_epochs=20, random_state=0).fit(X, y_str)
    assert list(clf.classes_) == ["cat", "dog", "eel"]
    proba = clf.predict_proba(Xt)
    assert proba.shape == (90, 3) and np.allclose(proba.sum(axis=1), 1)
    assert set(clf.predict(Xt)) <= set(names)
    assert np.array_equal(clf.predict(Xt), clf.classes_[proba.argmax(axis=1)])
    # binary, with labels masked in an object array
    binary = y != 2
    y_obj = np.where(y[binary] == 0, "no", np.where(y[binary] == 1, "yes", None)).astype(object)
    y_obj[y[binary] == -1] = -1
    clf = DomainAlignmentClassifier(max_epochs=5, random_state=0).fit(X[binary], y_obj)
    assert list(clf.classes_) == ["no", "yes"] and clf.predict_proba(Xt).shape == (90, 2)


def test_labelled_target_rows_are_used_few_shot():
    X, y, sample_domain, _, yt = blobs(n=60)
    y_few = y.copy()
    y_few[60:66] = yt[:6]  # six labelled target rows
    net = DomainAdversarialClassifier(max_epochs=1, batch_size=16, random_state=0)
    recorder = BatchComposition()
    net.set_params(callbacks=[recorder]).fit(X, y_few, sample_domain)
    # 66 labelled rows pass through the source side of the batches each epoch
    assert sum(s for s, _ in recorder.counts) == 66


def test_fit_without_target_rows_warns_and_uses_the_source_as_target():
    X, y, _, _, _ = blobs(n=50)
    labelled = y >= 0
    with pytest.warns(DomainWarning, match="no target rows"):
        net = DomainAdversarialClassifier(max_epochs=2, random_state=0).fit(X[labelled], y[labelled])
    assert np.isfinite(net.history[-1, "train_domain_loss"])


def test_regressor_masks_nan_only_and_takes_several_outputs():
    X, y, Xt, _ = regression_shift(n=60)
    y_minus_one = np.where(np.isnan(y), np.nan, -1.0)  # -1 is a target value in regression
    reg = DomainAdversarialRegressor(max_epochs=30, lr=0.01, random_state=0).fit(X, y_minus_one)
    assert abs(np.mean(reg.predict(X[:60])) + 1.0) < 0.2
    Y = np.column_stack([y, 2 * y])
    reg = DomainAlignmentRegressor(max_epochs=2, random_state=0).fit(X, Y)
    assert reg.predict(Xt).shape == (60, 2)


# ---- user modules, devices, persistence ---------------------------------------


def test_user_module_with_module_params():
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = digits.data[:400].astype(np.float32) / 16
    y = digits.target[:400].copy()
    y[300:] = -1
    net = DomainAdversarialClassifier(SmallCNN, module__image_shape=(1, 8, 8),
                                      module__n_features_out=32, max_epochs=2, random_state=0)
    net.fit(X, y)
    assert isinstance(net.module_.feature_extractor, SmallCNN)
    assert net.module_.label_head.in_features == 32
    assert net.predict(X[300:]).shape == (100,)
    # an instance works too, and a module that returns images is flattened
    instance = torch.nn.Sequential(torch.nn.Unflatten(1, (1, 8, 8)), torch.nn.Conv2d(1, 2, 3))
    net = DomainAlignmentClassifier(instance, max_epochs=1, random_state=0).fit(X, y)
    assert net.module_.label_head.in_features == 2 * 6 * 6


def test_pickle_round_trip_predicts_the_same():
    X, y, _, Xt, _ = blobs(n=60)
    for cls in ALL_NETS:
        yy = y if cls in CLASSIFIERS else np.where(y >= 0, y.astype(float), np.nan)
        net = cls(max_epochs=2, random_state=0).fit(X, yy)
        loaded = pickle.loads(pickle.dumps(net))
        out = net.predict_proba(Xt) if cls in CLASSIFIERS else net.predict(Xt)
        loaded_out = loaded.predict_proba(Xt) if cls in CLASSIFIERS else loaded.predict(Xt)
        assert np.array_equal(out, loaded_out)
        assert loaded.history[:, "train_loss"] == net.history[:, "train_loss"]


def test_a_net_saved_for_cuda_loads_on_a_cpu_only_machine(monkeypatch):
    """skorch maps the weights of a net pickled with device='cuda' to the CPU
    when CUDA is absent; here the 'cuda' net is simulated on the CPU."""
    X, y, _, Xt, _ = blobs(n=60)
    net = DomainAdversarialClassifier(max_epochs=2, random_state=0).fit(X, y)
    expected = net.predict_proba(Xt)
    net.device = "cuda"  # as if trained on a GPU (the tensors are on the CPU here)
    payload = pickle.dumps(net)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning, match="cpu"):
        loaded = pickle.loads(payload)
    assert str(loaded.device) == "cpu"
    assert np.allclose(loaded.predict_proba(Xt), expected)


def test_save_params_load_params_round_trip(tmp_path):
    X, y, _, Xt, _ = blobs(n=60)
    net = DomainAdversarialClassifier(max_epochs=2, random_state=0).fit(X, y)
    net.save_params(f_params=tmp_path / "params.pt")
    other = DomainAdversarialClassifier(max_epochs=1, random_state=1).fit(X, y)
    assert not np.allclose(other.predict_proba(Xt), net.predict_proba(Xt))
    other.load_params(f_params=tmp_path / "params.pt")
    assert np.allclose(other.predict_proba(Xt), net.predict_proba(Xt))


@needs_cuda
def test_cuda_training_and_cpu_loading(monkeypatch):
    X, y, _, Xt, _ = blobs(n=100)
    net = DomainAdversarialClassifier(SmallCNN, module__image_shape=(1, 4, 4),
                                      max_epochs=3, device="cuda", random_state=0)
    X16 = np.hstack([X, np.zeros((len(X), 11), np.float32)])
    net.fit(X16, y)
    assert all(p.is_cuda for p in net.module_.parameters())
    expected = net.predict_proba(np.hstack([Xt, np.zeros((len(Xt), 11))]))
    payload = pickle.dumps(net)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning):
        loaded = pickle.loads(payload)
    assert all(not p.is_cuda for p in loaded.module_.parameters())
    got = loaded.predict_proba(np.hstack([Xt, np.zeros((len(Xt), 11))]))
    assert np.allclose(got, expected, atol=1e-4)


@needs_cuda
@pytest.mark.parametrize("cls", ALL_NETS)
def test_every_net_trains_on_cuda(cls):
    X, y, _, Xt, _ = blobs(n=60)
    yy = y if cls in CLASSIFIERS else np.where(y >= 0, y.astype(float), np.nan)
    net = cls(max_epochs=2, device="cuda", random_state=0).fit(X, yy)
    assert next(net.module_.parameters()).is_cuda
    assert np.all(np.isfinite(net.predict(Xt).astype(float)))


# ---- sklearn tools ---------------------------------------------------------------


def labelled_accuracy(estimator, X, y):
    """Accuracy on the labelled rows of a fold (a test-only scorer)."""
    labelled = y != -1
    return np.mean(estimator.predict(X[labelled]) == y[labelled])


def test_pipeline_grid_search_and_cross_val_score():
    X, y, sample_domain, Xt, yt = blobs(n=80)
    pipe = make_da_pipeline(StandardScaler(), DomainAdversarialClassifier(max_epochs=3, random_state=0))
    assert isinstance(pipe.steps[-1][1], DomainAdversarialClassifier)  # not wrapped in LabeledOnly
    pipe.fit(X, y)
    assert pipe.predict(Xt).shape == (80,)
    grid = GridSearchCV(
        DomainAdversarialClassifier(max_epochs=2, random_state=0),
        {"module__hidden_units": [(8,), (16, 16)], "adaptation_weight": [0.0, 1.0]},
        scoring=labelled_accuracy, cv=KFold(2, shuffle=True, random_state=0),
    ).fit(X, y)
    assert set(grid.best_params_) == {"module__hidden_units", "adaptation_weight"}
    widths = [m.out_features for m in grid.best_estimator_.module_.feature_extractor.layers
              if isinstance(m, torch.nn.Linear)]
    assert tuple(widths) == grid.best_params_["module__hidden_units"]
    scores = cross_val_score(make_pipeline(StandardScaler(), DomainAlignmentClassifier(max_epochs=2)),
                             X, y, scoring=labelled_accuracy, cv=KFold(2, shuffle=True, random_state=0))
    assert scores.shape == (2,)


def test_sample_domain_reaches_the_net_through_metadata_routing():
    X, y, sample_domain, _, yt = blobs(n=60)
    y_few = y.copy()
    y_few[60:66] = yt[:6]  # labelled target rows: only sample_domain says they are target
    recorder = BatchComposition()
    net = DomainAdversarialClassifier(max_epochs=1, batch_size=16, callbacks=[recorder], random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        Pipeline([("scale", StandardScaler()), ("dann", net)]).fit(X, y_few, sample_domain=sample_domain)
    # with the domains, 6 labelled target rows join the label side and the target pool is 60 rows
    assert sum(s for s, _ in recorder.counts) == 66


def test_set_params_and_clone_keep_module_params():
    net = DomainAdversarialClassifier(module__hidden_units=(4,), domain_classifier__hidden_units=(3,))
    params = net.get_params()
    assert params["module__hidden_units"] == (4,) and params["domain_classifier__hidden_units"] == (3,)
    X, y, _, _, _ = blobs(n=40)
    fitted = sklearn.clone(net).set_params(max_epochs=1, random_state=0).fit(X, y)
    assert fitted.module_.feature_extractor.layers[0].out_features == 4
    assert fitted.module_.domain_head.layers[0].out_features == 3


def test_warm_start_continues_training():
    X, y, _, _, _ = blobs(n=60)
    net = DomainAdversarialClassifier(max_epochs=2, warm_start=True, random_state=0).fit(X, y)
    net.fit(X, y)
    assert len(net.history) == 4


# ---- errors ------------------------------------------------------------------------


@pytest.mark.parametrize("params, message", [
    ({"target_fraction": 1.0}, "target_fraction must be a number > 0.0 and < 1.0"),
    ({"target_fraction": 0}, "target_fraction"),
    ({"batch_size": 1}, "batch_size must be an int >= 2"),
    ({"max_epochs": 0}, "max_epochs must be an int >= 1"),
    ({"lr": 0.0}, "lr must be a number > 0"),
    ({"adaptation_weight": -1.0}, "adaptation_weight must be a number >= 0"),
    ({"adaptation_schedule": "linear"}, "adaptation_schedule must be one of 'constant', 'ganin'"),
    ({"lr_schedule": "cosine"}, "lr_schedule must be one of"),
    ({"validation_fraction": 1.5}, "validation_fraction"),
    ({"n_iter_no_change": 0}, "n_iter_no_change must be an int >= 1"),
    ({"module": "resnet"}, "module must be a torch.nn.Module class or instance"),
    ({"domain_classifier": torch.nn.Linear(3, 1)}, "domain_classifier must be a torch.nn.Module class"),
    ({"module__hidden_units": (0,)}, "hidden_units must be positive ints"),
])
def test_bad_parameters_raise_clear_errors(params, message):
    X, y, _, _, _ = blobs(n=30)
    with pytest.raises(ValueError, match=message):
        DomainAdversarialClassifier(**{"max_epochs": 1, **params}).fit(X, y)


@pytest.mark.parametrize("params, message", [
    ({"loss": "wasserstein"}, "loss must be one of 'coral', 'mmd'"),
    ({"n_kernels": 0}, "n_kernels must be an int >= 1"),
    ({"kernel_mul": 1.0}, "kernel_mul must be a number > 1.0"),
])
def test_bad_alignment_parameters(params, message):
    X, y, _, _, _ = blobs(n=30)
    with pytest.raises(ValueError, match=message):
        DomainAlignmentClassifier(max_epochs=1, **params).fit(X, y)


@pytest.mark.skipif(CUDA, reason="checks the message on a machine without CUDA")
def test_cuda_requested_without_cuda():
    X, y, _, _, _ = blobs(n=30)
    with pytest.raises(ValueError, match="CUDA is not available"):
        DomainAdversarialClassifier(max_epochs=1, device="cuda").fit(X, y)


def test_bad_data_raises_clear_errors():
    X, y, _, _, _ = blobs(n=30)
    net = DomainAdversarialClassifier(max_epochs=1)
    with pytest.raises(ValueError, match="requires y to be passed"):
        net.fit(X, None)
    with pytest.raises(ValueError, match="no source rows"):
        net.fit(X, np.full(len(X), -1))
    with pytest.raises(ValueError, match="at least 2 classes"):
        net.fit(X, np.where(y >= 0, 1, -1))
    with pytest.raises(ValueError, match="y has 3 entries"):
        net.fit(X, y[:3])
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        net.fit(X_nan, y)
    with pytest.raises(NotFittedError):
        DomainAdversarialClassifier().predict(X)
    net.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        net.predict(X[:, :3])
    with pytest.raises(ValueError, match="numeric targets"):
        DomainAdversarialRegressor(max_epochs=1).fit(X, np.array(["a"] * len(X)))


def test_mismatched_modules_raise_clear_errors():
    X, y, _, _, _ = blobs(n=30)
    with pytest.raises(ValueError, match="failed on input rows of shape \\(5,\\)"):
        DomainAdversarialClassifier(torch.nn.Linear, module__in_features=7, module__out_features=4,
                                    max_epochs=1).fit(X, y)

    class TwoLogits(torch.nn.Module):
        def __init__(self, in_features):
            super().__init__()
            self.linear = torch.nn.Linear(in_features, 2)

        def forward(self, X):
            return torch.softmax(self.linear(X), dim=1)

    with pytest.raises(ValueError, match="one logit per row"):
        DomainAdversarialClassifier(domain_classifier=TwoLogits, max_epochs=1).fit(X, y)


def test_mlp_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_features_in must be a positive int"):
        MLP(0)
    with pytest.raises(ValueError, match="dropout must be in"):
        MLP(3, dropout=1.0)
    with pytest.raises(ValueError, match="image_shape"):
        SmallCNN(image_shape=(1, 10, 10))


# ---- sklearn's estimator checks ----------------------------------------------------

CHECK_PARAMS = dict(max_epochs=10, lr=0.01, batch_size=32, random_state=0)
CHECKED = [
    DomainAdversarialClassifier(**CHECK_PARAMS),
    DomainAlignmentClassifier(**CHECK_PARAMS),
    DomainAlignmentClassifier(loss="mmd", **CHECK_PARAMS),
    DomainAdversarialRegressor(**CHECK_PARAMS),
    DomainAlignmentRegressor(**CHECK_PARAMS),
]


@parametrize_with_checks(CHECKED, expected_failed_checks=skorch_net_expected_failed_checks)
def test_sklearn_compatible_deep_estimator(estimator, check):
    check(estimator)
