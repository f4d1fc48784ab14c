"""The defects of the hardening issue in the domain convention, the pipeline,
the adapters, the reweighters and parameter transfer, each reproduced."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sktransfer import (
    CORAL,
    KLIEP,
    DomainStandardScaler,
    DomainWarning,
    ImportanceWeightedClassifier,
    KernelMeanMatching,
    LabeledOnly,
    RegularizedTransferClassifier,
    TrAdaBoostClassifier,
    TransferComponentAnalysis,
    make_da_pipeline,
    stack_domains,
    unstack_domains,
)

pd = pytest.importorskip("pandas")


def _three_classes_all_source(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = np.array([-1, 0, 1] * (n // 3))
    X[:, 0] += y  # class -1 is a real, separable class
    return X, y, np.ones(n, dtype=int)


# ---- 4. a class labelled -1 -------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: LabeledOnly(LogisticRegression()),
    lambda: make_da_pipeline(LogisticRegression()),
    lambda: make_da_pipeline(CORAL(), LogisticRegression()),
    lambda: TrAdaBoostClassifier(n_estimators=3, random_state=0),
    lambda: RegularizedTransferClassifier(),
    lambda: ImportanceWeightedClassifier(random_state=0),
], ids=["LabeledOnly", "make_da_pipeline", "make_da_pipeline+CORAL", "TrAdaBoost", "RegularizedTransfer",
        "ImportanceWeighted"])
def test_a_class_minus_one_on_source_rows_is_an_error_not_dropped(make):
    # before: class -1 vanished from classes_ without a word
    X, y, sd = _three_classes_all_source()
    with pytest.raises(ValueError, match=r"sample_domain marks as source .* label -1.*relabel"):
        make().fit(X, y, sample_domain=sd)
    # relabelled as the message says, the class is kept
    model = make().fit(X, np.where(y == -1, 2, y), sample_domain=sd)
    assert list(model.classes_) == [0, 1, 2]


def test_plus_minus_one_labels_without_sample_domain_warn_that_minus_one_is_the_mask():
    # before: half the source became "target" and the error was sklearn's "only one class"
    X, y, _ = _three_classes_all_source()
    y = np.where(y > 0, 1, -1)
    with pytest.warns(DomainWarning, match=r"only the labels -1 and 1.*y = \(y > 0\)"):
        with pytest.raises(ValueError):  # and then the single-class fit fails
            LabeledOnly(LogisticRegression()).fit(X, y)
    with pytest.warns(DomainWarning, match="only the labels -1 and 1"):
        CORAL().fit(X, y)
    # ordinary labels with masked target rows do not warn
    with warnings.catch_warnings():
        warnings.simplefilter("error", DomainWarning)
        CORAL().fit(X, np.where(y > 0, 1, np.where(np.arange(len(y)) % 2, 0, -1)))


def test_masked_target_rows_still_read_as_target_with_sample_domain():
    X, y, _ = _three_classes_all_source()
    y = np.where(y == -1, 2, y)
    y[-10:] = -1
    sd = np.r_[np.ones(50), -np.ones(10)].astype(int)
    assert list(make_da_pipeline(CORAL(), LogisticRegression()).fit(X, y, sample_domain=sd).classes_) == [0, 1, 2]


def test_a_pipeline_without_target_rows_warns_once():
    X, y, _ = _three_classes_all_source()
    y = np.where(y == -1, 2, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_da_pipeline(CORAL(), LogisticRegression()).fit(X, y)
    assert [w.category for w in caught].count(DomainWarning) == 1


def test_the_label_leak_error_names_use_target_labels():
    X, y, _ = _three_classes_all_source()
    y = np.where(y == -1, 2, y)
    sd = np.r_[np.ones(50), -np.ones(10)].astype(int)
    with pytest.raises(ValueError, match=r"use_target_labels=True"):
        LabeledOnly(LogisticRegression()).fit(X, y, sample_domain=sd)


# ---- 8. stacking DataFrames -------------------------------------------------------


def test_stack_domains_refuses_dataframes_with_different_columns():
    # before: an outer join, NaN-filled columns that surfaced later as a CORAL NaN error
    Xs = pd.DataFrame({"age": [30, 40], "income": [1.0, 2.0], "region": [1, 2]})
    Xt = pd.DataFrame({"age": [35], "salary": [1.5], "region": [1]})
    with pytest.raises(ValueError, match=r"target lacks \['income'\].*first source lacks \['salary'\]"):
        stack_domains(Xs, [0, 1], Xt)


def test_stack_domains_unions_categories_and_aligns_column_order():
    # before: categoricals with different category sets became strings (object dtype)
    Xs = pd.DataFrame({"a": [1.0, 2.0], "c": pd.Categorical(["x", "y"])})
    Xt = pd.DataFrame({"c": pd.Categorical(["z"]), "a": [3.0]})
    X, y, sd = stack_domains(Xs, [0, 1], Xt)
    assert list(X.columns) == ["a", "c"]
    assert isinstance(X["c"].dtype, pd.CategoricalDtype)
    assert sorted(X["c"].cat.categories) == ["x", "y", "z"]
    assert list(X["c"]) == ["x", "y", "z"] and list(X["a"]) == [1.0, 2.0, 3.0]


# ---- 7. sparse and zero-feature inputs to the helpers ---------------------------------


def test_stack_and_unstack_sparse_rows():
    sparse = pytest.importorskip("scipy.sparse")
    Xs = sparse.random(5, 3, density=0.5, format="csr", random_state=0)
    Xt = sparse.random(4, 3, density=0.5, format="csr", random_state=1)
    X, y, sd = stack_domains(Xs, [0, 1, 0, 1, 0], Xt)
    assert sparse.issparse(X) and X.shape == (9, 3)
    Xs2, ys2, Xt2, _ = unstack_domains(X, y, sd)
    np.testing.assert_array_equal(Xs2.toarray(), Xs.toarray())
    np.testing.assert_array_equal(Xt2.toarray(), Xt.toarray())


def test_stack_and_unstack_zero_feature_rows():
    X, y, sd = stack_domains(np.zeros((3, 0)), [0, 1, 0], np.zeros((2, 0)))
    assert X.shape == (5, 0)
    assert unstack_domains(X, y, sd)[2].shape == (2, 0)


# ---- 6. extreme magnitudes ----------------------------------------------------------


def _stacked(scale):
    rng = np.random.default_rng(0)
    Xs, Xt = rng.normal(size=(40, 3)), rng.normal(0.5, 1.2, size=(20, 3))
    X, y, _ = stack_domains(Xs * scale, (Xs[:, 0] > 0).astype(int), Xt * scale)
    return X, y


@pytest.mark.parametrize("make", [CORAL, lambda: CORAL(reg=0.0), DomainStandardScaler, KernelMeanMatching,
                                  lambda: KLIEP(random_state=0),
                                  lambda: TransferComponentAnalysis(n_components=2, kernel="rbf", random_state=0)],
                         ids=["CORAL", "CORAL(reg=0)", "DomainStandardScaler", "KMM", "KLIEP", "TCA-rbf"])
@pytest.mark.parametrize("scale", [1e200, 1e-300])
def test_extreme_magnitudes_are_a_clear_error(make, scale):
    # before: LinAlgError, "Input X contains NaN", zeros, a constant, or gamma=1 in silence
    X, y = _stacked(scale)
    with pytest.raises(ValueError, match=r"magnitude .* supported range"):
        make().fit(X, y)


@pytest.mark.parametrize("scale", [1e50, 1e-50])
def test_large_and_small_magnitudes_inside_the_range_work(scale):
    X, y = _stacked(scale)
    Z = CORAL().fit(X, y).transform(X)
    assert np.all(np.isfinite(Z)) and np.ptp(Z) > 0
    scaled = DomainStandardScaler().fit(X, y).transform(X)
    np.testing.assert_allclose(scaled, DomainStandardScaler().fit(*_stacked(1.0)).transform(_stacked(1.0)[0]),
                               rtol=1e-6, atol=1e-9)


# ---- 10. the default estimator of ImportanceWeightedClassifier scales features ----------


def test_the_default_importance_weighted_classifier_scales_raw_features():
    # before: dozens of ConvergenceWarnings on raw credit features (amounts in currency)
    rng = np.random.default_rng(0)
    Xs = np.column_stack([rng.lognormal(10, 1, 300), rng.integers(18, 80, 300), rng.normal(size=300)])
    Xt = Xs[:150] * [1.3, 1.0, 1.0]
    ys = (np.log(Xs[:, 0]) + 0.05 * Xs[:, 1] + rng.normal(size=300) > 12.2).astype(int)
    X, y, _ = stack_domains(Xs, ys, Xt)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = ImportanceWeightedClassifier(random_state=0).fit(X, y)
    assert clf.predict_proba(Xt).shape == (150, 2)
