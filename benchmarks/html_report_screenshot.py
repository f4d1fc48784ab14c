"""The HTML report of the Taiwan EDUCATION split, and its full-page screenshot for the docs.

A logistic regression (standardised features) is fitted on half of the
source rows (graduate school, EDUCATION = 1); the report is built from the
other half and from half of the target rows (high school, EDUCATION = 3),
the protocol of ``bench_credit.py``: the other target half is seen by no
step of the report and gives the true target AUC the estimate is checked
against. Headless Chromium loads the page and takes the screenshot.

Run: ``python benchmarks/html_report_screenshot.py [--quick]``; writes
``docs/_static/html_report_taiwan.png`` and ``benchmarks/results/html_report_taiwan.html``
(``--quick``: 1500 rows a domain, files under ``--out-dir``).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

from _credit_splits import load_splits  # noqa: E402

from sktransfer import stack_domains  # noqa: E402
from sktransfer.diagnostics import html_report  # noqa: E402
from sktransfer.diagnostics._report_browser import find_chromium, load_in_chromium  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1500 rows a domain; files under --out-dir")
    parser.add_argument("--data-home", default=os.environ.get("SKTRANSFER_DATA_HOME")
                        or str(REPO.parent / "shared" / "data"))
    parser.add_argument("--out-dir", default=None, help="where the HTML and PNG go")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    name, what, Xs, ys, Xt, yt, features = load_splits(args.data_home)[0]
    rng = np.random.default_rng(0)
    if args.quick:
        keep_s = rng.choice(len(Xs), min(1500, len(Xs)), replace=False)
        keep_t = rng.choice(len(Xt), min(1500, len(Xt)), replace=False)
        Xs, ys, Xt, yt = Xs[keep_s], ys[keep_s], Xt[keep_t], yt[keep_t]
    X_fit, X_held, y_fit, y_held = train_test_split(Xs, ys, test_size=0.5, stratify=ys, random_state=0)
    X_pool, X_test, _, y_test = train_test_split(Xt, yt, test_size=0.5, stratify=yt, random_state=0)
    with threadpool_limits(limits=1):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_fit, y_fit)
        X, y, sd = stack_domains(X_held, y_held, X_pool)
        true_auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
        if args.quick:
            out_dir = Path(args.out_dir or ".")
            html, png = out_dir / "html_report_taiwan_quick.html", out_dir / "html_report_taiwan_quick.png"
        else:
            out_dir = Path(args.out_dir) if args.out_dir else None
            html = (out_dir or REPO / "benchmarks" / "results") / "html_report_taiwan.html"
            png = (out_dir or REPO / "docs" / "_static") / "html_report_taiwan.png"
        html.parent.mkdir(parents=True, exist_ok=True)
        png.parent.mkdir(parents=True, exist_ok=True)
        html_report(
            X, y, sd, path=html, estimator=model, feature_names=features, random_state=0,
            n_repeats=2 if args.quick else 5, cv=3 if args.quick else 5,
            title=f"{name}: {what}",
            notes=[(f"Model: logistic regression on standardised features, fitted on {len(X_fit):,} of the "
                    f"{len(Xs):,} source rows; evaluated on the other {len(X_held):,}."),
                   (f"Target rows: {len(X_pool):,} of {len(Xt):,}; the other {len(X_test):,} are kept apart "
                    "to check the estimate.")],
        )
    built = time.perf_counter() - start
    print(f"{name}: report {html} ({html.stat().st_size / 1e6:.2f} MB) built in {built:.1f} s")
    print(f"true target AUC on the {len(X_test):,} held-apart target rows: {true_auc:.3f}")
    print(f"default rate: {ys.mean():.3f} on the source rows, {y_test.mean():.3f} on the held-apart target rows")
    if find_chromium() is None:
        print("no Chromium found: no screenshot")
        return 0
    result = load_in_chromium(html, screenshot=png, width=1100)
    try:  # a 256-colour palette: the page is flat colours and text, a third of the bytes
        from PIL import Image

        with Image.open(png) as shot:
            small = shot.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        small.save(png, optimize=True)
    except ImportError:
        pass
    problems = [m for m in result["messages"] if m[0] in ("error", "warning")]
    bad = [i for i in result["images"] if not (i["complete"] and i["decoded"] and i["width"] > 0)]
    print(f"screenshot {png}: {result['height']} px high, {len(result['images'])} images, "
          f"{len(bad)} not shown, {len(problems)} console errors or warnings")
    return 1 if problems or bad else 0


if __name__ == "__main__":
    sys.exit(main())
