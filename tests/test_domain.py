"""The domain convention: stacking, masks, sample_domain checks."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sktransfer import (
    DomainWarning,
    check_sample_domain,
    derive_sample_domain,
    fit_domains,
    predict_domains,
    stack_domains,
    unlabeled_mask,
    unstack_domains,
)


@pytest.fixture
def domains():
    rng = np.random.default_rng(0)
    return rng.normal(size=(5, 3)), np.array([0, 1, 2, 1, 0]), rng.normal(size=(4, 3)), np.array([2, 2, 1, 0])


def test_stack_masks_target_labels_and_marks_domains(domains):
    Xs, ys, Xt, yt = domains
    X, y, sd = stack_domains(Xs, ys, Xt, yt)
    assert X.shape == (9, 3)
    np.testing.assert_array_equal(X[:5], Xs)
    np.testing.assert_array_equal(X[5:], Xt)
    np.testing.assert_array_equal(y, [0, 1, 2, 1, 0, -1, -1, -1, -1])
    np.testing.assert_array_equal(sd, [1] * 5 + [-1] * 4)


def test_stack_keeps_target_labels_when_asked(domains):
    Xs, ys, Xt, yt = domains
    _, y, sd = stack_domains(Xs, ys, Xt, yt, mask_target=False)
    np.testing.assert_array_equal(y[5:], yt)
    np.testing.assert_array_equal(sd[5:], -1)


def test_stack_float_labels_are_masked_with_nan():
    _, y, _ = stack_domains(np.zeros((2, 1)), [0.5, 1.5], np.zeros((3, 1)))
    assert np.isnan(y[2:]).all() and not np.isnan(y[:2]).any()


@pytest.mark.parametrize("dtype", [np.uint8, np.bool_, np.int8])
def test_stack_labels_that_cannot_hold_minus_one_are_widened(dtype):
    _, y, _ = stack_domains(np.zeros((2, 1)), np.array([0, 1], dtype=dtype), np.zeros((1, 1)))
    np.testing.assert_array_equal(y, [0, 1, -1])


def test_stack_several_sources(domains):
    Xs, ys, Xt, _ = domains
    X, y, sd = stack_domains([Xs, Xs[:2]], [ys, ys[:2]], Xt)
    np.testing.assert_array_equal(sd, [1] * 5 + [2] * 2 + [-1] * 4)
    assert X.shape == (11, 3) and y.shape == (11,)


def test_stack_dataframes_stay_dataframes():
    Xs = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    Xt = pd.DataFrame({"a": [5.0], "b": [6.0]})
    X, _, _ = stack_domains(Xs, [0, 1], Xt)
    assert isinstance(X, pd.DataFrame) and list(X.columns) == ["a", "b"] and len(X) == 3


def test_unstack_inverts_stack(domains):
    Xs, ys, Xt, yt = domains
    X, y, sd = stack_domains(Xs, ys, Xt, yt, mask_target=False)
    Xs2, ys2, Xt2, yt2 = unstack_domains(X, y, sd)
    for a, b in [(Xs, Xs2), (ys, ys2), (Xt, Xt2), (yt, yt2)]:
        np.testing.assert_array_equal(a, b)
    # without sample_domain the masked labels tell the domains apart
    X, y, _ = stack_domains(Xs, ys, Xt)
    Xs3, _, Xt3, yt3 = unstack_domains(X, y)
    np.testing.assert_array_equal(Xs3, Xs)
    np.testing.assert_array_equal(Xt3, Xt)
    np.testing.assert_array_equal(yt3, -1)


@pytest.mark.parametrize(
    "y, task, expected",
    [
        ([0, 1, -1], "auto", [False, False, True]),
        ([0.0, 1.0, -1.0], "auto", [False, False, True]),
        ([0.5, -1.0, np.nan], "auto", [False, False, True]),  # NaN present: -1 is a value
        ([0.5, -1.0, 2.0], "regression", [False, False, False]),
        ([0.5, -1.0, np.nan], "classification", [False, True, True]),
        (np.array(["a", None, -1, "b"], dtype=object), "auto", [False, True, True, False]),
        (np.array(["a", "b"]), "auto", [False, False]),
        ([True, False], "auto", [False, False]),
    ],
)
def test_unlabeled_mask(y, task, expected):
    np.testing.assert_array_equal(unlabeled_mask(y, task), expected)


def test_unlabeled_mask_rejects_unknown_task():
    with pytest.raises(ValueError, match="task must be"):
        unlabeled_mask([0, 1], task="ranking")


def test_derive_and_predict_domains():
    np.testing.assert_array_equal(derive_sample_domain([3, -1], n_samples=2), [1, -1])
    np.testing.assert_array_equal(derive_sample_domain(None, n_samples=2), [1, 1])
    np.testing.assert_array_equal(predict_domains(n_samples=2), [-1, -1])
    np.testing.assert_array_equal(predict_domains([2, -1], n_samples=2), [2, -1])


# ---- every error of the convention names its problem -------------------------


def test_error_no_source_rows():
    with pytest.raises(ValueError, match="no source rows"):
        fit_domains([-1, -1], n_samples=2)
    with pytest.raises(ValueError, match="no source rows"):
        fit_domains(None, [-1, -2], n_samples=2)
    with pytest.raises(ValueError, match="No source rows"):
        stack_domains(np.zeros((0, 2)), [], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="No source rows"):
        unstack_domains(np.zeros((2, 2)), [-1, -1])


def test_error_no_target_rows():
    with pytest.raises(ValueError, match="No target rows"):
        stack_domains(np.zeros((2, 2)), [0, 1], np.zeros((0, 2)))
    with pytest.raises(ValueError, match="No target rows"):
        unstack_domains(np.zeros((2, 2)), [0, 1])


def test_fit_without_target_rows_warns():
    with pytest.warns(DomainWarning, match="no target rows"):
        sd = fit_domains([0, 1], n_samples=2)
    np.testing.assert_array_equal(sd, [1, 1])


def test_no_warning_when_both_domains_present():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_domains([0, -1], n_samples=2)


def test_error_sample_domain_wrong_length():
    with pytest.raises(ValueError, match="sample_domain has 3 entries but X has 2 rows"):
        check_sample_domain([1, -1, 1], n_samples=2)
    with pytest.raises(ValueError, match="sample_domain has 1 entries"):
        fit_domains([0, -1], [1], n_samples=2)


def test_error_sample_domain_contains_zero():
    with pytest.raises(ValueError, match="sample_domain contains 0 in 1 row"):
        check_sample_domain([1, 0, -1], n_samples=3)


def test_error_sample_domain_not_integer():
    with pytest.raises(ValueError, match="integer domain ids"):
        check_sample_domain([1.5, -1.0], n_samples=2)
    with pytest.raises(ValueError, match="integer domain ids"):
        check_sample_domain(["a", "b"], n_samples=2)
    np.testing.assert_array_equal(check_sample_domain([1.0, -1.0], n_samples=2), [1, -1])


def test_error_target_rows_with_labels_when_masking_expected():
    with pytest.raises(ValueError, match="2 row\\(s\\) marked as target by sample_domain carry labels"):
        fit_domains([0, 1, 1, 0], [1, 1, -1, -1], n_samples=4, allow_target_labels=False)
    # masked target labels are fine, and so are labels when allowed (few-shot)
    fit_domains([0, 1, -1, -1], [1, 1, -1, -1], n_samples=4, allow_target_labels=False)
    fit_domains([0, 1, 1, 0], [1, 1, -1, -1], n_samples=4, allow_target_labels=True)


def test_error_feature_counts_differ():
    with pytest.raises(ValueError, match="Source domain 1 has 3 features but the target has 2"):
        stack_domains(np.zeros((2, 3)), [0, 1], np.zeros((2, 2)))


def test_error_label_count_differs():
    with pytest.raises(ValueError, match="3 rows but 2 labels"):
        stack_domains(np.zeros((3, 2)), [0, 1], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="y has 3 entries but X has 2 rows"):
        fit_domains([0, 1, -1], n_samples=2)
