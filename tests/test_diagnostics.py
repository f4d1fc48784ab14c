"""Drift diagnostics: PSI against a direct computation, KS, the domain
classifier's AUC and ranking, the report, and the errors."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sktransfer import stack_domains  # noqa: E402
from sktransfer.diagnostics import (  # noqa: E402
    domain_classifier_auc,
    drift_report,
    ks_drift,
    plot_drift,
    population_stability_index,
)


@pytest.fixture(autouse=True)
def _one_thread():
    # HistGradientBoosting's OpenMP threads can stall for minutes on a
    # machine whose cores other jobs hold; one thread is fast and reproducible
    with threadpool_limits(1):
        yield


def _direct_psi(expected, actual, n_bins=10, eps=1e-4):
    """The textbook computation, written out: decile edges of the expected
    sample, right-closed bins, shares floored at eps."""
    edges = np.unique(np.percentile(expected, np.arange(1, n_bins) * 100 / n_bins))
    bins = np.concatenate([[-np.inf], edges, [np.inf]])
    e = np.array([np.mean((expected > lo) & (expected <= hi)) for lo, hi in zip(bins[:-1], bins[1:])])
    a = np.array([np.mean((actual > lo) & (actual <= hi)) for lo, hi in zip(bins[:-1], bins[1:])])
    e, a = np.maximum(e, eps), np.maximum(a, eps)
    return np.sum((a - e) * np.log(a / e))


def test_psi_matches_a_direct_computation():
    rng = np.random.default_rng(0)
    expected = rng.normal(size=3000)
    actual = rng.normal(0.3, 1.2, size=2000)
    assert population_stability_index(expected, actual) == pytest.approx(_direct_psi(expected, actual), rel=1e-12)
    assert population_stability_index(expected, actual, n_bins=5) == pytest.approx(
        _direct_psi(expected, actual, n_bins=5), rel=1e-12
    )
    # a hand example: source quartile bins hold 25% each; the target puts 10/20/30/40%
    source = np.repeat([1.0, 2.0, 3.0, 4.0], 25)
    target = np.repeat([1.0, 2.0, 3.0, 4.0], [10, 20, 30, 40])
    e, a = np.full(4, 0.25), np.array([0.1, 0.2, 0.3, 0.4])
    assert population_stability_index(source, target, n_bins=4) == pytest.approx(
        np.sum((a - e) * np.log(a / e)), rel=1e-12
    )


def test_psi_of_several_columns_and_empty_bins():
    rng = np.random.default_rng(1)
    S, T = rng.normal(size=(1000, 3)), rng.normal(size=(800, 3)) + [0.0, 0.5, 2.0]
    psi = population_stability_index(S, T)
    assert psi.shape == (3,)
    for j in range(3):
        assert psi[j] == pytest.approx(_direct_psi(S[:, j], T[:, j]), rel=1e-12)
    # a target far outside the source: all its rows in the top bin, the other shares floored at eps
    far = population_stability_index(np.arange(100.0), np.full(50, 1e6), eps=1e-4)
    e = np.full(10, 0.1)
    a = np.r_[np.full(9, 1e-4), 1.0]
    assert far == pytest.approx(np.sum((a - e) * np.log(a / e)), rel=1e-12)


def test_psi_near_zero_for_two_halves_and_large_for_a_shift():
    rng = np.random.default_rng(2)
    sample = rng.gamma(2.0, size=20000)
    assert population_stability_index(sample[:10000], sample[10000:]) < 0.01
    assert population_stability_index(sample[:10000], sample[10000:] * 1.6) > 0.25


def test_psi_missing_values_and_categories():
    source = np.r_[np.arange(90.0), np.full(10, np.nan)]
    target = np.r_[np.arange(60.0), np.full(40, np.nan)]  # missing goes from 10% to 40%
    with_missing = population_stability_index(source, target)
    direct = _direct_psi(np.arange(90.0), np.arange(60.0))  # not the same: shares are of all rows
    assert with_missing > 0.25 and with_missing != pytest.approx(direct)
    # categories: shares per category
    s = np.array(["a"] * 50 + ["b"] * 30 + ["c"] * 20, dtype=object)
    t = np.array(["a"] * 20 + ["b"] * 30 + ["c"] * 40 + ["d"] * 10, dtype=object)
    e = np.array([0.5, 0.3, 0.2, 1e-4])
    a = np.array([0.2, 0.3, 0.4, 0.1])
    assert population_stability_index(s, t) == pytest.approx(np.sum((a - e) * np.log(a / e)), rel=1e-12)
    with pytest.raises(ValueError, match="Feature 'x0' is not numeric"):
        population_stability_index(s[:, None], t[:, None], categorical=False)


def test_ks_matches_scipy():
    rng = np.random.default_rng(3)
    S, T = rng.normal(size=(500, 2)), rng.normal(size=(400, 2)) + [0.0, 0.5]
    statistic, pvalue = ks_drift(S, T)
    for j in range(2):
        expected = stats.ks_2samp(S[:, j], T[:, j])
        assert statistic[j] == pytest.approx(expected.statistic)
        assert pvalue[j] == pytest.approx(expected.pvalue)
    assert pvalue[1] < 1e-4 and pvalue[0] > 0.01


def test_domain_classifier_finds_no_shift_between_random_halves():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(2000, 5))
    sample_domain = rng.permutation(np.r_[np.ones(1000), -np.ones(1000)]).astype(int)
    result = domain_classifier_auc(X, sample_domain=sample_domain, cv=3, n_repeats=2, random_state=0)
    assert abs(result.auc - 0.5) < 0.05
    assert result.fold_aucs.shape == (3,)
    # with masked labels instead of sample_domain
    y = np.where(sample_domain > 0, 0, -1)
    again = domain_classifier_auc(X, y, cv=3, n_repeats=2, random_state=0)
    assert again.auc == pytest.approx(result.auc)


def test_domain_classifier_finds_a_shift_and_names_its_feature():
    rng = np.random.default_rng(5)
    Xs, Xt = rng.normal(size=(800, 5)), rng.normal(size=(800, 5))
    Xt[:, 3] = Xt[:, 3] * 3.0  # a change of scale, not of mean: a linear model would miss it
    X, y, sd = stack_domains(Xs, np.zeros(800, dtype=int), Xt)
    names = ["age", "income", "limit", "balance", "tenure"]
    result = domain_classifier_auc(pd.DataFrame(X, columns=names), y, cv=3, n_repeats=3, random_state=0)
    assert result.auc > 0.7
    assert result.ranking[0] == "balance"
    assert result.importances[3] > 5 * np.abs(np.delete(result.importances, 3)).max()
    # any classifier will do; a mean shift is seen by a linear one
    Xt2 = rng.normal(size=(800, 5)) + [0.0, 0.8, 0.0, 0.0, 0.0]
    X2, y2, _ = stack_domains(Xs, np.zeros(800, dtype=int), Xt2)
    linear = domain_classifier_auc(X2, y2, estimator=LogisticRegression(), cv=3, random_state=0)
    assert linear.auc > 0.65 and linear.ranking[0] == "x1"


def _report_data():
    rng = np.random.default_rng(6)
    n = 1500
    source = pd.DataFrame({
        "age": rng.normal(40, 10, n),
        "income": rng.lognormal(10, 0.5, n),
        "region": rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2]),
        "score": rng.normal(600, 50, n),
    })
    target = pd.DataFrame({
        "age": rng.normal(40, 10, n),                      # stable
        "income": rng.lognormal(10.2, 0.5, n),             # moderate (PSI about 0.15)
        "region": rng.choice(["north", "south", "east"], n, p=[0.2, 0.3, 0.5]),  # significant
        "score": rng.normal(640, 50, n),                   # significant
    })
    X = pd.concat([source, target], ignore_index=True)
    sample_domain = np.r_[np.ones(n), -np.ones(n)].astype(int)
    return X, sample_domain, source, target


def test_report_columns_sorting_and_bands():
    X, sample_domain, source, target = _report_data()
    report = drift_report(X, sample_domain=sample_domain)
    assert report.index.name == "feature"
    assert list(report.columns) == [
        "psi", "band", "ks_statistic", "ks_pvalue", "source_mean", "target_mean",
        "source_missing", "target_missing", "kind",
    ]
    assert report["psi"].is_monotonic_decreasing
    assert report.loc["age", "band"] == "stable"
    assert report.loc["income", "band"] == "moderate"
    assert report.loc["score", "band"] == "significant"
    assert report.loc["region", "band"] == "significant" and report.loc["region", "kind"] == "categorical"
    assert np.isnan(report.loc["region", "ks_statistic"])
    for name in ("age", "income", "score"):
        assert report.loc[name, "psi"] == pytest.approx(_direct_psi(source[name].to_numpy(), target[name].to_numpy()))
        assert report.loc[name, "ks_statistic"] == pytest.approx(stats.ks_2samp(source[name], target[name]).statistic)
    assert report.loc["score", "target_mean"] - report.loc["score", "source_mean"] == pytest.approx(40, abs=5)
    # bands at the boundaries
    from sktransfer.diagnostics._drift import _psi_band

    assert [_psi_band(v) for v in (0.0999, 0.1, 0.2499, 0.25)] == ["stable", "moderate", "moderate", "significant"]


def test_report_from_arrays_with_masked_labels_and_names():
    rng = np.random.default_rng(7)
    Xs, Xt = rng.normal(size=(600, 3)), rng.normal(size=(600, 3)) + [0.0, 0.0, 1.0]
    Xt[:30, 0] = np.nan
    report = drift_report(*stack_domains(Xs, np.zeros(600, dtype=int), Xt), feature_names=["a", "b", "c"])
    assert report.index[0] == "c" and report.loc["c", "band"] == "significant"
    assert report.loc["a", "target_missing"] == pytest.approx(0.05)
    ax = plot_drift(report, top=2)
    ax.figure.canvas.draw()
    # the two most shifted features, the most shifted on top
    assert [t.get_text() for t in ax.get_yticklabels()] == list(report.index[:2])[::-1]
    np.testing.assert_allclose([p.get_width() for p in ax.patches], report["psi"].to_numpy()[:2][::-1])
    with pytest.raises(ValueError, match="'psi' column"):
        plot_drift(report.drop(columns="psi"))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda X: drift_report(X), "needs to know which rows are target rows"),
        (lambda X: drift_report(X, sample_domain=np.ones(len(X), dtype=int)), "No target rows"),
        (lambda X: drift_report(X, sample_domain=np.r_[np.ones(len(X) - 1), 0].astype(int)), "contains 0"),
        (lambda X: drift_report(X, np.r_[np.zeros(10), -np.ones(len(X) - 10)].astype(int), n_bins=1), "n_bins"),
        (lambda X: drift_report(X, np.r_[np.zeros(10), -np.ones(len(X) - 10)].astype(int),
                                feature_names=["a"]), "feature_names has 1 names"),
        (lambda X: domain_classifier_auc(X, np.r_[np.zeros(2), -np.ones(len(X) - 2)].astype(int)), "at least cv=5"),
        (lambda X: population_stability_index(X[:, :2], X[:, :3]), "same features"),
        (lambda X: population_stability_index(X[:, 0], np.r_[X[1:, 0], np.inf]), "infinite values"),
    ],
)
def test_errors_are_named(call, message):
    X = np.random.default_rng(8).normal(size=(40, 3))
    with pytest.raises(ValueError, match=message):
        call(X)


def test_non_numeric_columns_and_the_default_domain_classifier():
    X, sample_domain, _, _ = _report_data()
    with pytest.raises(ValueError, match=r"not numeric.*'region'|\['region'\]"):
        domain_classifier_auc(X, sample_domain=sample_domain, cv=2, n_repeats=1)
    X["region"] = X["region"].astype("category")  # the default estimator takes categories
    result = domain_classifier_auc(X, sample_domain=sample_domain, cv=2, n_repeats=2, random_state=0)
    assert result.ranking[0] in ("score", "region") and result.auc > 0.7
    with pytest.raises(ValueError, match="Feature 'region' is not numeric"):
        drift_report(X, sample_domain=sample_domain, categorical=False)


def test_importance_weighted_estimate_tracks_the_target_auc():
    """A linear model of a non-linear law: its AUC is high on the source and
    near chance on a shifted target. The weighted estimate sees that; the
    source AUC does not (measured mean errors over 8 seeds: 0.04 with the weights
    as fitted, 0.13 with the default flattening to half the rows, 0.28 naive)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from sktransfer import stack_domains
    from sktransfer.diagnostics import estimate_target_score

    weighted_errors, flattened_errors, naive_errors = [], [], []
    for seed in range(4):
        rng = np.random.default_rng(seed)

        def draw(n, mean):
            x = rng.normal(mean, 1.0, size=(n, 2))
            logit = 2.5 * np.sin(1.5 * x[:, 0]) + x[:, 1]
            return x, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)

        Xs, ys = draw(1500, [0, 0])
        Xt, yt = draw(800, [1.2, 0])
        model = LogisticRegression().fit(Xs[:700], ys[:700])
        X, y, _ = stack_domains(Xs[700:], ys[700:], Xt)
        # the importance-weighted method named: the default is now "combined"
        result = estimate_target_score(model, X, y, method="importance_weighted", min_effective_fraction=None)
        flattened = estimate_target_score(model, X, y, method="importance_weighted")
        true = roc_auc_score(yt, model.predict_proba(Xt)[:, 1])
        weighted_errors.append(abs(result.score - true))
        flattened_errors.append(abs(flattened.score - true))
        naive_errors.append(abs(result.source_score - true))
        assert 1 < result.effective_sample_size < 0.5 * 800 <= flattened.effective_sample_size
        assert result.flattening == 1.0 and 0 < flattened.flattening < 1
    assert np.mean(weighted_errors) < 0.1 < np.mean(flattened_errors) < 0.2 < np.mean(naive_errors)


def test_estimate_target_score_errors():
    from sklearn.dummy import DummyClassifier

    from sktransfer.diagnostics import estimate_target_score

    X = np.arange(8.0).reshape(-1, 1)
    model = DummyClassifier().fit(X, [0, 1] * 4)
    with pytest.raises(ValueError, match="scoring must be one of"):
        estimate_target_score(model, X, [0, 1, 0, 1, -1, -1, -1, -1], scoring="f1")
    with pytest.raises(ValueError, match="needs target rows"):
        estimate_target_score(model, X, [0, 1] * 4)
