"""NannyML's CBPE on the tasks of bench_estimates.py, run by the Python that has
nannyml (a separate environment: the package never imports it).

Usage: ``python _nannyml_cbpe.py tasks.npz result.json``. The npz holds, for
task ``i``, ``ref_p_i``, ``ref_yhat_i``, ``ref_y_i`` (held-out labelled source
rows) and ``ana_p_i``, ``ana_yhat_i`` (unlabelled target rows); the json maps
``i`` to ``[estimated AUC, sampling error]`` (or to an error message).
"""

import json
import sys
import warnings


def main(tasks_path, result_path):
    import numpy as np
    import pandas as pd
    import nannyml as nml

    warnings.simplefilter("ignore")
    tasks = np.load(tasks_path)
    ids = sorted({key.rsplit("_", 1)[1] for key in tasks.files}, key=int)
    out = {"version": nml.__version__}
    for i in ids:
        try:
            ref = pd.DataFrame({"p": tasks[f"ref_p_{i}"], "yhat": tasks[f"ref_yhat_{i}"],
                                "y": tasks[f"ref_y_{i}"]})
            ana = pd.DataFrame({"p": tasks[f"ana_p_{i}"], "yhat": tasks[f"ana_yhat_{i}"]})
            estimator = nml.CBPE(metrics=["roc_auc"], y_pred_proba="p", y_pred="yhat", y_true="y",
                                 problem_type="classification_binary", chunk_number=1)
            estimator.fit(ref)
            frame = estimator.estimate(ana).to_df()
            row = frame[frame[("chunk", "period")] == "analysis"].iloc[0]
            out[i] = [float(row[("roc_auc", "value")]), float(row[("roc_auc", "sampling_error")])]
        except Exception as exc:  # reported per task by the benchmark
            out[i] = f"{type(exc).__name__}: {exc}"
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(*sys.argv[1:3])
