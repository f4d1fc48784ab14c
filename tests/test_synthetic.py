"""The synthetic shift generators: shapes, determinism, argument checks, and
that the shift they make is real (a domain classifier sees it, and it costs a
source-only model accuracy)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktransfer.datasets._synthetic import (
    DIGITS_SHIFTS,
    make_rotated_moons,
    make_shifted_blobs,
    make_shifted_digits,
)

SHIFTED = [name for name in DIGITS_SHIFTS if name != "none"]


def domain_auc(Xs, Xt, classifier):
    """Cross-validated AUC of a classifier that tells target rows from source rows."""
    X = np.vstack([Xs, Xt])
    is_target = np.r_[np.zeros(len(Xs)), np.ones(len(Xt))]
    return cross_val_score(classifier, X, is_target, cv=3, scoring="roc_auc").mean()


def linear_domain_classifier():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def knn_domain_classifier():
    return make_pipeline(StandardScaler(), KNeighborsClassifier(15))


# -- make_shifted_digits ------------------------------------------------------


@pytest.mark.parametrize("shift", list(DIGITS_SHIFTS))
def test_digits_shapes_and_values(shift):
    Xs, ys, Xt, yt = make_shifted_digits(shift, random_state=0)
    assert Xs.shape == (899, 64) and Xt.shape == (898, 64)
    assert ys.shape == (899,) and yt.shape == (898,)
    assert Xs.dtype == Xt.dtype == np.float64
    assert ys.dtype.kind == yt.dtype.kind == "i"
    # stratified: every class in both halves, in nearly the same numbers
    assert np.abs(np.bincount(ys, minlength=10) - np.bincount(yt, minlength=10)).max() <= 1
    assert Xs.min() >= 0 and Xs.max() <= 16
    assert Xt.min() >= 0 and Xt.max() <= 16
    assert np.all(np.isfinite(Xt))


def test_digits_source_is_unchanged_and_halves_are_disjoint():
    from sklearn.datasets import load_digits

    digits = load_digits()
    Xs, ys, Xt, yt = make_shifted_digits("none", random_state=3)
    assert len(ys) + len(yt) == len(digits.target)
    # every source and (unshifted) target row is one of the original images,
    # and the two halves together use each image exactly once
    rows = {row.tobytes(): 0 for row in digits.data}
    for row in np.vstack([Xs, Xt]):
        rows[row.tobytes()] += 1
    assert sum(rows.values()) == len(digits.target)


def test_digits_deterministic_with_random_state():
    a = make_shifted_digits("blur", random_state=7)
    b = make_shifted_digits("blur", random_state=7)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    c = make_shifted_digits("blur", random_state=8)
    assert not np.array_equal(a[1], c[1])
    rng = np.random.RandomState(0)
    d = make_shifted_digits("blur", random_state=rng)
    np.testing.assert_array_equal(d[0], make_shifted_digits("blur", random_state=0)[0])


def test_digits_images_and_target_size():
    Xs, ys, Xt, yt = make_shifted_digits("thicken", return_images=True, target_size=0.25)
    assert Xs.shape[1:] == Xt.shape[1:] == (8, 8)
    assert abs(len(yt) / (len(ys) + len(yt)) - 0.25) < 0.01
    flat = make_shifted_digits("thicken", target_size=0.25)
    np.testing.assert_array_equal(flat[2], Xt.reshape(len(yt), 64))


def test_digits_severity_scales_the_shift():
    Xs0, _, Xt0, _ = make_shifted_digits("none", random_state=0)
    distance = [
        np.abs(make_shifted_digits("motion_blur", severity=s, random_state=0)[2] - Xt0).mean()
        for s in (0.25, 1.0, 2.0)
    ]
    assert distance[0] < distance[1] < distance[2]


def test_digits_motion_blur_is_horizontal():
    def gradients(shift):
        images = make_shifted_digits(shift, return_images=True, random_state=0)[2]
        return np.abs(np.diff(images, axis=2)).mean(), np.abs(np.diff(images, axis=1)).mean()

    h0, v0 = gradients("none")
    h, v = gradients("motion_blur")
    # ink is smeared along the rows: horizontal edges soften much more than
    # vertical ones (measured 0.38 vs 0.61; an isotropic blur gives 0.46 vs 0.35)
    assert h / h0 < 0.75 * (v / v0)
    h, v = gradients("blur")
    assert v / v0 < h / h0


def test_digits_invert_and_contrast():
    _, _, Xt0, _ = make_shifted_digits("none", random_state=0)
    _, _, Xt, _ = make_shifted_digits("invert", random_state=0)
    np.testing.assert_array_equal(Xt, 16 - Xt0)
    _, _, Xt, _ = make_shifted_digits("contrast", random_state=0)
    assert Xt.min() > 3 and Xt.max() <= 12  # grey paper, faded ink


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"shift": "rain"}, "shift must be one of"),
        ({"shift": None}, "shift must be one of"),
        ({"severity": 0}, "severity must be > 0"),
        ({"severity": -1.0}, "severity must be > 0"),
        ({"severity": 11}, r"severity must be > 0.0 and <= 10.0"),
        ({"severity": float("nan")}, "severity must be a finite number"),
        ({"severity": "high"}, "severity must be a finite number"),
        ({"severity": True}, "severity must be a finite number"),
        ({"target_size": 0.0}, "target_size must be > 0"),
        ({"target_size": 1.0}, r"target_size must be > 0.0 and < 1.0"),
        ({"target_size": 0.001}, "leaves class"),
        ({"return_images": "yes"}, "return_images must be True or False"),
    ],
)
def test_digits_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_shifted_digits(**kwargs)


@pytest.mark.parametrize("shift", SHIFTED)
def test_digits_shift_is_seen_by_a_domain_classifier(shift):
    Xs, _, Xt, _ = make_shifted_digits(shift, random_state=0)
    assert domain_auc(Xs, Xt, linear_domain_classifier()) > 0.95


def test_digits_no_shift_is_not_seen_by_a_domain_classifier():
    Xs, _, Xt, _ = make_shifted_digits("none", random_state=0)
    assert domain_auc(Xs, Xt, linear_domain_classifier()) < 0.6
    assert domain_auc(Xs, Xt, knn_domain_classifier()) < 0.6


@pytest.mark.parametrize("shift", ["motion_blur", "thicken", "none"])
def test_digits_shift_hurts_a_source_only_model(shift):
    Xs, ys, Xt, yt = make_shifted_digits(shift, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    in_domain = cross_val_score(model, Xs, ys, cv=3).mean()  # ~0.95
    across = model.fit(Xs, ys).score(Xt, yt)
    if shift == "none":
        assert across > in_domain - 0.03
    else:
        # measured: 0.95 in domain, about 0.2 on the shifted target
        assert across < in_domain - 0.3


# -- make_shifted_blobs -------------------------------------------------------


@pytest.mark.parametrize("shift", ["stretch", "rotation", "none"])
def test_blobs_shapes_and_determinism(shift):
    out = make_shifted_blobs(120, n_features=4, n_classes=3, shift=shift, random_state=1)
    Xs, ys, Xt, yt = out
    assert Xs.shape == Xt.shape == (120, 4)
    assert ys.shape == yt.shape == (120,)
    assert set(ys) == set(yt) == {0, 1, 2}
    assert np.bincount(ys).tolist() == [40, 40, 40]
    again = make_shifted_blobs(120, n_features=4, n_classes=3, shift=shift, random_state=1)
    for x, y in zip(out, again):
        np.testing.assert_array_equal(x, y)
    other = make_shifted_blobs(120, n_features=4, n_classes=3, shift=shift, random_state=2)
    assert not np.array_equal(Xs, other[0])


def test_blobs_same_source_whatever_the_shift():
    # the shift only changes the target: source rows and labels are shared
    a = make_shifted_blobs(100, shift="stretch", random_state=0)
    b = make_shifted_blobs(100, shift="rotation", random_state=0)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[3], b[3])


@pytest.mark.parametrize("shift", ["stretch", "rotation"])
def test_blobs_shift_is_real(shift):
    Xs, ys, Xt, yt = make_shifted_blobs(500, shift=shift, random_state=0)
    assert domain_auc(Xs, Xt, knn_domain_classifier()) > 0.75
    model = LogisticRegression()
    in_domain = cross_val_score(model, Xs, ys, cv=3).mean()
    assert model.fit(Xs, ys).score(Xt, yt) < in_domain - 0.05


def test_blobs_no_shift():
    Xs, ys, Xt, yt = make_shifted_blobs(500, shift="none", random_state=0)
    assert domain_auc(Xs, Xt, knn_domain_classifier()) < 0.6
    model = LogisticRegression()
    in_domain = cross_val_score(model, Xs, ys, cv=3).mean()
    assert model.fit(Xs, ys).score(Xt, yt) > in_domain - 0.06


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_samples": 1}, "n_samples must be an integer >= 2"),
        ({"n_samples": 10.0}, "n_samples must be an integer >= 2"),
        ({"n_features": 1}, "n_features must be an integer >= 2"),
        ({"n_classes": 1}, "n_classes must be an integer >= 2"),
        ({"n_samples": 3, "n_classes": 4}, "more than n_samples"),
        ({"shift": "shear"}, "shift must be one of"),
        ({"severity": 0.0}, "severity must be > 0"),
        ({"cluster_std": -1}, "cluster_std must be > 0"),
    ],
)
def test_blobs_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_shifted_blobs(**kwargs)


# -- make_rotated_moons -------------------------------------------------------


def test_moons_shapes_determinism_and_rotation():
    Xs, ys, Xt, yt = make_rotated_moons(300, angle=45, random_state=0)
    assert Xs.shape == Xt.shape == (300, 2)
    assert set(ys) == set(yt) == {0, 1}
    again = make_rotated_moons(300, angle=45, random_state=0)
    np.testing.assert_array_equal(Xt, again[2])
    # a rotation about the centre keeps distances to it
    centre = np.array([0.5, 0.25])
    _, _, Xt0, _ = make_rotated_moons(300, angle=0, random_state=0)
    np.testing.assert_allclose(
        np.linalg.norm(Xt - centre, axis=1), np.linalg.norm(Xt0 - centre, axis=1)
    )
    assert not np.allclose(Xt, Xt0)


def test_moons_shift_is_real():
    Xs, ys, Xt, yt = make_rotated_moons(500, angle=30, random_state=0)
    assert domain_auc(Xs, Xt, knn_domain_classifier()) > 0.75
    model = knn_domain_classifier()  # a flexible classifier: ~1.0 in domain
    in_domain = cross_val_score(model, Xs, ys, cv=3).mean()
    assert model.fit(Xs, ys).score(Xt, yt) < in_domain - 0.05


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"angle": 270}, r"angle must be a number of degrees in \[-180, 180\]"),
        ({"angle": "left"}, "angle must be"),
        ({"noise": -0.1}, "noise must be >= 0"),
        ({"n_samples": 0}, "n_samples must be an integer >= 2"),
    ],
)
def test_moons_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_rotated_moons(**kwargs)
