"""TCA, JDA and Subspace Alignment: the algebra against direct formulas, the
large-data path, and that they help on real shifts."""


import numpy as np
import pytest
from conftest import SHARED_DATA
from scipy.linalg import eigh
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import Normalizer

from sktransfer import (
    JointDistributionAdaptation,
    SubspaceAlignment,
    TransferComponentAnalysis,
    make_da_pipeline,
    stack_domains,
)

DATA_HOME = SHARED_DATA
needs_data = pytest.mark.skipif(not (DATA_HOME / "mnist_usps_jda").is_dir(), reason="benchmark data not found")


def _two_domains(n_source=60, n_target=50, n_features=5, seed=0):
    rng = np.random.default_rng(seed)
    ys = rng.integers(0, 2, n_source)
    yt = rng.integers(0, 2, n_target)
    Xs = rng.normal(size=(n_source, n_features)) + 2 * ys[:, None]
    Xt = rng.normal(size=(n_target, n_features)) * 1.5 + 2 * yt[:, None] + 1.0
    return Xs, ys, Xt, yt


def _direct_tca(K, n_source, mu, n_components):
    """Dual TCA with explicit n x n matrices, as written in the paper."""
    n = K.shape[0]
    e = np.r_[np.full(n_source, 1.0 / n_source), np.full(n - n_source, -1.0 / (n - n_source))]
    M = np.outer(e, e)
    M /= np.linalg.norm(M, "fro")
    H = np.eye(n) - np.ones((n, n)) / n
    _, vectors = eigh(K @ H @ K, K @ M @ K + mu * np.eye(n))
    vectors = vectors[:, ::-1][:, :n_components]
    return vectors / np.linalg.norm(vectors, axis=0)


def _same_subspace(A, B):
    """Columns equal up to sign."""
    signs = np.sign(np.sum(A * B, axis=0))
    np.testing.assert_allclose(A, B * signs, atol=1e-6)


def test_linear_tca_matches_the_direct_formula():
    Xs, ys, Xt, _ = _two_domains()
    X, y, _ = stack_domains(Xs, ys, Xt)
    tca = TransferComponentAnalysis(n_components=3, mu=0.5).fit(X, y)
    # primal: X^T H X and X^T M X
    n = len(X)
    e = np.r_[np.full(60, 1 / 60), np.full(50, -1 / 50)]
    M = np.outer(e, e) / np.linalg.norm(np.outer(e, e), "fro")
    H = np.eye(n) - np.ones((n, n)) / n
    _, vectors = eigh(X.T @ H @ X, X.T @ M @ X + 0.5 * np.eye(5))
    expected = vectors[:, ::-1][:, :3]
    _same_subspace(tca.components_, expected / np.linalg.norm(expected, axis=0))


def test_exact_rbf_tca_matches_the_dual_formula():
    Xs, ys, Xt, _ = _two_domains()
    X, y, _ = stack_domains(Xs, ys, Xt)
    tca = TransferComponentAnalysis(n_components=3, kernel="rbf", gamma=0.1, mu=1.0).fit(X, y)
    assert tca.landmarks_.shape == X.shape  # exact: every row is a landmark
    _same_subspace(tca.components_, _direct_tca(rbf_kernel(X, X, gamma=0.1), 60, 1.0, 3))
    np.testing.assert_allclose(
        tca.transform(X), rbf_kernel(X, X, gamma=0.1) @ tca.components_, rtol=1e-10
    )


def test_tca_brings_the_domain_means_together():
    Xs, ys, Xt, _ = _two_domains()
    X, y, sd = stack_domains(Xs, ys, Xt)
    Z = TransferComponentAnalysis(n_components=2, mu=0.1).fit_transform(X, y)
    gap = np.linalg.norm(Z[sd > 0].mean(0) - Z[sd < 0].mean(0)) / Z.std()
    raw_gap = np.linalg.norm(Xs.mean(0) - Xt.mean(0)) / X.std()
    assert gap < 0.1 * raw_gap


def test_landmarks_are_used_above_the_threshold_and_stay_close_to_exact():
    rng = np.random.default_rng(0)
    n = 3000
    ys, yt = rng.integers(0, 3, n), rng.integers(0, 3, n)
    centres = rng.normal(scale=3, size=(3, 4))
    Xs = centres[ys] + rng.normal(size=(n, 4))
    Xt = centres[yt] + rng.normal(size=(n, 4)) + [2.0, -1.0, 0.0, 0.5]
    X, y, _ = stack_domains(Xs, ys, Xt)
    tca = TransferComponentAnalysis(n_components=5, kernel="rbf", random_state=0).fit(X, y)
    assert tca.landmarks_.shape == (1000, 4)  # 6000 rows > 2000: landmarks
    scores = {}
    for name, n_landmarks in [("landmarks", 300), ("exact", "auto")]:
        rows = rng.choice(2 * n, 2000, replace=False) if name == "exact" else slice(None)
        pipe = make_da_pipeline(
            TransferComponentAnalysis(5, kernel="rbf", n_landmarks=n_landmarks, random_state=0),
            KNeighborsClassifier(5),
        )
        pipe.fit(X[rows], y[rows])
        scores[name] = np.mean(pipe.predict(Xt) == yt)
    assert abs(scores["landmarks"] - scores["exact"]) < 0.05, scores


def test_jda_first_round_is_tca():
    Xs, ys, Xt, _ = _two_domains()
    X, y, _ = stack_domains(Xs, ys, Xt)
    jda = JointDistributionAdaptation(n_components=3, mu=0.5, n_iter=1).fit(X, y)
    tca = TransferComponentAnalysis(n_components=3, mu=0.5).fit(X, y)
    _same_subspace(jda.components_, tca.components_)
    assert jda.pseudo_labels_.shape == (50,) and set(jda.pseudo_labels_) <= {0, 1}


@pytest.mark.filterwarnings("ignore::sktransfer.DomainWarning")
def test_jda_needs_source_labels():
    Xs, _, Xt, _ = _two_domains()
    X = np.vstack([Xs, Xt])
    with pytest.raises(ValueError, match="requires y"):
        JointDistributionAdaptation(n_components=2).fit(X)


@pytest.mark.parametrize(
    "estimator, message",
    [
        (TransferComponentAnalysis(n_components=0), "n_components must be a positive integer"),
        (TransferComponentAnalysis(n_components=50), "exceeds the dimension"),
        (TransferComponentAnalysis(mu=0), "mu must be a positive number"),
        (TransferComponentAnalysis(kernel="sigmoid"), "kernel must be one of"),
        (TransferComponentAnalysis(kernel="rbf", n_landmarks=0), "n_landmarks must be"),
        (JointDistributionAdaptation(n_components=2, n_iter=0), "n_iter must be a positive integer"),
        (SubspaceAlignment(n_components=9), "exceeds the number of features"),
    ],
)
def test_bad_parameters_are_named(estimator, message):
    Xs, ys, Xt, _ = _two_domains()
    X, y, _ = stack_domains(Xs, ys, Xt)
    with pytest.raises(ValueError, match=message):
        estimator.fit(X, y)


def test_float32_is_kept():
    Xs, ys, Xt, _ = _two_domains()
    X, y, _ = stack_domains(Xs, ys, Xt)
    for estimator in [
        TransferComponentAnalysis(2),
        TransferComponentAnalysis(2, kernel="rbf"),
        JointDistributionAdaptation(2, n_iter=2),
        SubspaceAlignment(2),
    ]:
        Z = estimator.fit_transform(X.astype(np.float32), y)
        assert Z.dtype == np.float32, estimator


def test_subspace_alignment_matches_its_definition():
    """Source rows: centred, projected on the source basis, times M = Ps^T Pt;
    target rows: centred, projected on the target basis."""
    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(500, 4)) * [5.0, 3.0, 1.0, 0.3]
    rotation, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    Xt = rng.normal(size=(400, 4)) * [5.0, 3.0, 1.0, 0.3] @ rotation + 10.0
    X, y, sd = stack_domains(Xs, np.zeros(500, dtype=int), Xt)
    sa = SubspaceAlignment(n_components=2).fit(X, y)
    Ps = np.linalg.eigh(np.cov(Xs.T))[1][:, ::-1][:, :2]
    Pt = np.linalg.eigh(np.cov(Xt.T))[1][:, ::-1][:, :2]
    Pt = Pt * np.sign(np.sum(Pt * sa.components_target_.T, axis=0))  # eigenvector signs
    Z = sa.transform(X, sample_domain=sd)
    np.testing.assert_allclose(Z[:500], (Xs - Xs.mean(0)) @ Ps @ (Ps.T @ Pt), atol=1e-8)
    np.testing.assert_allclose(Z[500:], (Xt - Xt.mean(0)) @ Pt, atol=1e-8)
    np.testing.assert_allclose(sa.transform(Xt), Z[500:])


@needs_data
@pytest.mark.parametrize("direction, nn_alone, paper", [("mnist_usps", 65.94, 67.28), ("usps_mnist", 44.70, 59.65)])
def test_jda_reproduces_the_paper_on_digits(direction, nn_alone, paper):
    from sktransfer.datasets import fetch_mnist_usps

    Xs, ys, Xt, yt = fetch_mnist_usps(direction, data_home=DATA_HOME)
    X, y, _ = stack_domains(Xs, ys, Xt)
    nn = make_da_pipeline(Normalizer(), KNeighborsClassifier(1)).fit(X, y)
    assert np.mean(nn.predict(Xt) == yt) * 100 == pytest.approx(nn_alone, abs=0.01)
    jda = make_da_pipeline(
        Normalizer(), JointDistributionAdaptation(100, mu=0.1), Normalizer(), KNeighborsClassifier(1)
    ).fit(X, y)
    assert np.mean(jda.predict(Xt) == yt) * 100 == pytest.approx(paper, abs=0.01)


def _office(domain):
    from sktransfer.datasets import fetch_office_caltech

    X, y = fetch_office_caltech(domain, data_home=DATA_HOME)
    X = X / X.sum(axis=1, keepdims=True)
    return (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1), y


@needs_data
def test_tca_and_subspace_alignment_help_nearest_neighbours_on_office_caltech():
    """Caltech -> Amazon and Caltech -> Webcam, the JDA paper's protocol."""
    gains = {"tca": [], "sa": []}
    Xs, ys = _office("caltech")
    for target in ("amazon", "webcam"):
        Xt, yt = _office(target)
        X, y, _ = stack_domains(Xs, ys, Xt)

        def accuracy(*steps):
            return np.mean(make_da_pipeline(*steps, KNeighborsClassifier(1)).fit(X, y).predict(Xt) == yt)

        base = accuracy(Normalizer())
        gains["tca"].append(accuracy(Normalizer(), TransferComponentAnalysis(100), Normalizer()) - base)
        gains["sa"].append(accuracy(SubspaceAlignment(50)) - accuracy())
    # measured: TCA +7.4 and +8.1 points; SA +18.3 and +13.2 points
    assert min(gains["tca"]) > 0.04 and min(gains["sa"]) > 0.08, gains
