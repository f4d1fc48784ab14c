"""Hardening of the six skorch nets: keywords, devices, verbosity, magnitudes,
the -1 class, reproducibility and clear errors on bad inputs."""

import inspect
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

import scipy.sparse as sp  # noqa: E402
from sklearn.base import clone, is_classifier  # noqa: E402
from skorch import NeuralNet  # noqa: E402

from sktransfer import DomainWarning  # noqa: E402
from sktransfer.deep import (  # noqa: E402
    DomainAdversarialClassifier,
    DomainAdversarialRegressor,
    DomainAlignmentClassifier,
    DomainAlignmentRegressor,
    FineTunedClassifier,
    FineTunedRegressor,
)

NETS = [DomainAdversarialClassifier, DomainAdversarialRegressor, DomainAlignmentClassifier,
        DomainAlignmentRegressor, FineTunedClassifier, FineTunedRegressor]
DA_NETS = NETS[:4]
FAST = dict(max_epochs=2, batch_size=16, random_state=0, verbose=0)
N_SOURCE, N_TARGET, N_FEATURES = 24, 16, 3


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets: threads only add overhead on a shared machine
    yield
    torch.set_num_threads(threads)


def data(cls):
    """Stacked float64 rows (source first), masked target labels, the domains."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(N_SOURCE, N_FEATURES)),
                   rng.normal(0.5, size=(N_TARGET, N_FEATURES))])
    if ("Classifier" in cls.__name__):
        y = np.r_[np.arange(N_SOURCE) % 2, np.full(N_TARGET, -1)]
    else:
        y = np.r_[X[:N_SOURCE].sum(axis=1), np.full(N_TARGET, np.nan)]
    sample_domain = np.r_[np.ones(N_SOURCE, dtype=int), -np.ones(N_TARGET, dtype=int)]
    return X, y, sample_domain


def unlabelled(cls, n):
    return np.full(n, -1) if ("Classifier" in cls.__name__) else np.full(n, np.nan)


def name(cls):
    return cls.__name__


# ---- 1. unknown keywords -------------------------------------------------------------


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("cls", NETS, ids=name)
def test_unknown_keyword_raises_a_type_error_naming_it_and_the_accepted_ones(cls, method):
    X, y, sample_domain = data(cls)
    accepted = "X, y, classes" if method == "partial_fit" else "X, y"
    with pytest.raises(TypeError, match=rf"{method}\(\) got unexpected keyword argument\(s\) "
                                        rf"'sample_domian'; it accepts {accepted}"):
        getattr(cls(**FAST), method)(X, y, sample_domian=sample_domain)


@pytest.mark.parametrize("cls", [FineTunedClassifier, FineTunedRegressor], ids=name)
def test_fine_tuning_says_that_it_takes_no_sample_domain(cls):
    X, y, sample_domain = data(cls)
    with pytest.raises(TypeError, match="'sample_domain'.*trains on the labelled rows whatever"):
        cls(**FAST).fit(X, y, sample_domain=sample_domain)


# ---- 2. device="auto" ---------------------------------------------------------------


@pytest.mark.parametrize("cls", NETS, ids=name)
def test_device_auto_resolves_at_initialize_and_stays_auto_in_the_params(cls):
    X, y, _ = data(cls)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DeviceWarning either
        net = cls(device="auto", **FAST).fit(X, y)
    assert net.device_ == expected
    assert {p.device.type for p in net.module_.parameters()} == {expected}
    assert net.get_params()["device"] == "auto"
    assert clone(net).get_params()["device"] == "auto"
    loaded = pickle.loads(pickle.dumps(net))
    assert loaded.get_params()["device"] == "auto"
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))


@pytest.mark.parametrize("cls", [DomainAdversarialClassifier, FineTunedRegressor], ids=name)
def test_a_malformed_device_is_a_clear_error(cls):
    X, y, _ = data(cls)
    with pytest.raises(ValueError, match="device must be 'auto', 'cpu', 'cuda'.*got 'gpu'"):
        cls(device="gpu", **FAST).fit(X, y)


# ---- 3. verbosity -------------------------------------------------------------------


@pytest.mark.parametrize("cls", NETS, ids=name)
def test_verbose_defaults_to_skorchs_epoch_table(cls, capsys):
    assert cls().verbose == inspect.signature(NeuralNet).parameters["verbose"].default == 1
    X, y, _ = data(cls)
    cls(max_epochs=2, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "epoch" in out and "train_loss" in out
    cls(**FAST).fit(X, y)  # verbose=0: silent
    assert capsys.readouterr().out == ""


# ---- 4. magnitudes ------------------------------------------------------------------


@pytest.mark.parametrize("scale, message", [(1e200, "magnitude up to 2e\\+200, beyond"),
                                            (1e-300, "magnitude at most 2e-300, below")])
@pytest.mark.parametrize("cls", NETS, ids=name)
def test_out_of_range_magnitudes_are_refused_in_fit_and_predict(cls, scale, message):
    X, y, _ = data(cls)
    X = X / np.abs(X).max() * 2.0  # largest magnitude exactly 2
    with pytest.raises(ValueError, match=f"{cls.__name__}: X holds values of {message}"):
        cls(**FAST).fit(X * scale, y)
    net = cls(**FAST).fit(X, y)
    with pytest.raises(ValueError, match=message):
        net.predict(X * scale)


# ---- 5. the -1 class ------------------------------------------------------------------


@pytest.mark.parametrize("cls", [DomainAdversarialClassifier, DomainAlignmentClassifier], ids=name)
def test_a_minus_one_label_on_a_source_row_is_an_error_not_a_dropped_class(cls):
    X, _, sample_domain = data(cls)
    y = np.r_[np.arange(N_SOURCE) % 3 - 1, np.full(N_TARGET, -1)]  # classes -1, 0, 1
    with pytest.raises(ValueError, match="-1"):
        cls(**FAST).fit(X, y, sample_domain=sample_domain)


# ---- 6. reproducibility ---------------------------------------------------------------


@pytest.mark.parametrize("cls", NETS, ids=name)
def test_random_state_makes_two_fits_identical(cls):
    X, y, _ = data(cls)
    # dropout and batches smaller than the data: every random draw matters
    params = dict(FAST, module__dropout=0.3, batch_size=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        a, b = (cls(**params).fit(X, y) for _ in range(2))
        other = cls(**dict(params, random_state=1)).fit(X, y)
    method = "predict_proba" if ("Classifier" in cls.__name__) else "predict"
    np.testing.assert_array_equal(getattr(a, method)(X), getattr(b, method)(X))
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.history[:, "train_loss"] == b.history[:, "train_loss"]
    assert not np.array_equal(getattr(a, method)(X), getattr(other, method)(X))


# ---- 7. bad inputs ------------------------------------------------------------------


def with_value(X, value):
    X = X.copy()
    X[0, 0] = value
    return X


def string_column(X):
    X = X.astype(object)
    X[:, 0] = "a"
    return X


def fine_tuning(cls):
    return cls in (FineTunedClassifier, FineTunedRegressor)


NO_SAMPLE_DOMAIN = (TypeError, "unexpected keyword argument\\(s\\) 'sample_domain'")

# name: (what the fit gets, the expected error, or None when it must fit and predict)
BAD_INPUTS = {
    "NaN": (lambda X, y, sd, cls: (with_value(X, np.nan), y), lambda cls: (ValueError, "NaN")),
    "inf": (lambda X, y, sd, cls: (with_value(X, np.inf), y), lambda cls: (ValueError, "infinity")),
    "no feature": (lambda X, y, sd, cls: (X[:, :0], y), lambda cls: (ValueError, "0 feature")),
    "1-d X": (lambda X, y, sd, cls: (X[:, 0], y), lambda cls: (ValueError, "Expected 2D array")),
    "string column": (lambda X, y, sd, cls: (string_column(X), y),
                      lambda cls: (ValueError, "X must hold numbers.*could not convert string")),
    "sparse X": (lambda X, y, sd, cls: (sp.csr_matrix(X), y),
                 lambda cls: (TypeError, "dense data is required")),
    "one row": (lambda X, y, sd, cls: (X[:1], y[:1]),
                lambda cls: (ValueError, "at least 2 classes") if ("Classifier" in cls.__name__) else None),
    "one target row": (lambda X, y, sd, cls: (X[:N_SOURCE + 1], y[:N_SOURCE + 1]), lambda cls: None),
    "y shorter than X": (lambda X, y, sd, cls: (X, y[:5]), lambda cls: (ValueError, "y has 5 entries")),
    "every y unlabelled": (
        lambda X, y, sd, cls: (X, unlabelled(cls, len(X))),
        lambda cls: (ValueError, "no labelled row" if fine_tuning(cls) else "no source rows")),
    "sample_domain too short": (
        lambda X, y, sd, cls: (X, y, sd[:5]),
        lambda cls: NO_SAMPLE_DOMAIN if fine_tuning(cls) else (ValueError, "sample_domain has 5 entries")),
    "sample_domain of zeros": (
        lambda X, y, sd, cls: (X, y, np.zeros(len(X), dtype=int)),
        lambda cls: NO_SAMPLE_DOMAIN if fine_tuning(cls) else (ValueError, "0 is not a domain id")),
    "sample_domain of 0.5": (
        lambda X, y, sd, cls: (X, y, np.full(len(X), 0.5)),
        lambda cls: NO_SAMPLE_DOMAIN if fine_tuning(cls) else (ValueError, "integer domain ids")),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
@pytest.mark.parametrize("cls", NETS, ids=name)
def test_bad_inputs_give_clear_errors(cls, case):
    X, y, sample_domain = data(cls)
    make_args, expected = BAD_INPUTS[case]
    args = make_args(X, y, sample_domain, cls)
    kwargs = {"sample_domain": args[2]} if len(args) == 3 else {}
    error = expected(cls)
    net = cls(**FAST)
    if error is not None:
        with pytest.raises(error[0], match=error[1]):
            net.fit(*args[:2], **kwargs)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)  # a fit without target rows
        net.fit(*args[:2], **kwargs)
    prediction = net.predict(args[0])
    assert prediction.shape == (len(args[0]),)
    if not ("Classifier" in cls.__name__):
        assert np.isfinite(prediction).all()


@pytest.mark.parametrize("cls", NETS, ids=name)
def test_predict_names_a_wrong_feature_count(cls):
    X, y, _ = data(cls)
    net = cls(**FAST).fit(X, y)
    with pytest.raises(ValueError, match=f"X has 2 features, but {cls.__name__} is expecting 3 features"):
        net.predict(X[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        net.predict(with_value(X, np.nan))
