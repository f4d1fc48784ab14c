"""Hyper-parameter search on a Dask cluster through joblib gives the local result.

Each estimator family (alignment, reweighting, parameter transfer, boosting,
model selection, DANN, pretrained features, fine-tuning) is cloned, pickled and
fitted in worker processes of a ``dask.distributed.LocalCluster``; the grid
search must find the same best parameters and the same cross-validated scores
as the same search run locally.
"""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.preprocessing import StandardScaler

from sktransfer import CORAL, make_da_pipeline, stack_domains
from sktransfer.model_selection import DomainShuffleSplit, ImportanceWeightedScorer
from sktransfer.parameter import RegularizedTransferClassifier, TrAdaBoostClassifier
from sktransfer.reweighting import DomainClassifierWeighting, ImportanceWeightedClassifier

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


@pytest.fixture(scope="module")
def client():
    # processes, not threads: every task's estimator crosses a pickle boundary
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        silence_logs=40,
    ) as cluster, distributed.Client(cluster) as dask_client:
        yield dask_client


def _shifted_problem(seed=0):
    rng = np.random.default_rng(seed)
    Xs = rng.normal(size=(160, 4))
    Xt = rng.normal(size=(120, 4)) @ np.diag([2.0, 0.5, 1.0, 1.0]) + 0.5
    ys = (Xs[:, 0] + 0.5 * Xs[:, 1] > 0).astype(int)
    yt = (Xt[:, 0] + 0.5 * Xt[:, 1] > 0.5).astype(int)
    return Xs, ys, Xt, yt


def _float32_stacked_problem():
    """The shifted problem stacked (target labels masked), in float32 for the torch nets."""
    Xs, ys, Xt, _ = _shifted_problem()
    X, y, _ = stack_domains(Xs.astype(np.float32), ys, Xt.astype(np.float32))
    return X, y


def _searches():
    Xs, ys, Xt, yt = _shifted_problem()
    X, y, _ = stack_domains(Xs, ys, Xt)
    # few-shot: 30 labelled target rows marked by sample_domain
    Xf, yf, sdf = stack_domains(Xs, ys, Xt[:30], yt[:30], mask_target=False)
    cv = KFold(3, shuffle=True, random_state=0)
    return {
        "alignment": (
            GridSearchCV(make_da_pipeline(StandardScaler(), CORAL(), LogisticRegression()),
                         {"coral__reg": [0.1, 1.0, 10.0], "logisticregression__estimator__C": [0.1, 1.0]}, cv=cv),
            (X, y), {},
        ),
        "reweighting": (
            GridSearchCV(ImportanceWeightedClassifier(random_state=0),
                         {"weighting": [DomainClassifierWeighting(random_state=0),
                                        DomainClassifierWeighting(max_weight=3.0, random_state=0)],
                          "flattening": ["auto", 1.0]}, cv=cv),
            (X, y), {},
        ),
        "parameter transfer": (
            GridSearchCV(RegularizedTransferClassifier(), {"lam": [1.0, 10.0, "auto"]}, cv=cv),
            (Xf, yf), {"sample_domain": sdf},
        ),
        "model selection": (
            GridSearchCV(make_da_pipeline(StandardScaler(), CORAL(), LogisticRegression()),
                         {"coral__reg": [0.1, 1.0, 10.0]}, scoring=ImportanceWeightedScorer(),
                         cv=DomainShuffleSplit(n_splits=3, random_state=0)),
            (X, y), {},
        ),
        "boosting": (
            GridSearchCV(TrAdaBoostClassifier(LogisticRegression(), n_estimators=5, random_state=0),
                         {"learning_rate": [0.1, 1.0]}, cv=cv),
            (Xf, yf), {"sample_domain": sdf},
        ),
    }


def _deep_search():
    pytest.importorskip("torch")
    pytest.importorskip("skorch")
    from sktransfer.deep import DomainAdversarialClassifier

    X, y = _float32_stacked_problem()
    search = GridSearchCV(
        DomainAdversarialClassifier(max_epochs=3, random_state=0, verbose=0),
        {"module__hidden_units": [(8,), (16, 16)]}, cv=KFold(2, shuffle=True, random_state=0),
    )
    return search, (X, y), {}


def _pretrained_backbone():
    """A fixed-weight network that stands for a pretrained one (pickled to the workers)."""
    import torch

    with torch.random.fork_rng():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))


def _features_search():
    pytest.importorskip("torch")
    from sktransfer.features import PretrainedFeatureExtractor

    X, y = _float32_stacked_problem()
    pipe = make_da_pipeline(PretrainedFeatureExtractor(_pretrained_backbone(), layer="1", device="cpu"),
                            CORAL(), LogisticRegression())
    search = GridSearchCV(pipe, {"coral__reg": [0.1, 10.0], "logisticregression__estimator__C": [0.1, 1.0]},
                          cv=KFold(3, shuffle=True, random_state=0))
    return search, (X, y), {}


def _fine_tuning_search():
    pytest.importorskip("torch")
    pytest.importorskip("skorch")
    from sktransfer.deep import FineTunedClassifier

    X, y = _float32_stacked_problem()
    search = GridSearchCV(
        FineTunedClassifier(_pretrained_backbone(), layer="1", max_epochs=3, random_state=0),
        {"unfreeze": [0, "all"], "lr": [1e-3, 1e-2]}, cv=KFold(2, shuffle=True, random_state=0),
    )
    return search, (X, y), {}


_TORCH_SEARCHES = {"deep": _deep_search, "pretrained features": _features_search,
                   "fine-tuning": _fine_tuning_search}


@pytest.mark.parametrize("family", [*_searches(), *_TORCH_SEARCHES])
def test_grid_search_on_a_local_cluster_matches_the_local_run(client, family):
    make = _TORCH_SEARCHES.get(family) or (lambda: _searches()[family])
    search, (X, y), fit_params = make()
    local = search.fit(X, y, **fit_params)
    local_params, local_scores = local.best_params_, local.cv_results_["mean_test_score"]

    search, (X, y), fit_params = make()
    with joblib.parallel_backend("dask"):
        remote = search.set_params(n_jobs=-1).fit(X, y, **fit_params)
    assert repr(remote.best_params_) == repr(local_params)
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"], local_scores, rtol=1e-10)
    # the work ran on the cluster's workers
    assert client.run(lambda: True)
