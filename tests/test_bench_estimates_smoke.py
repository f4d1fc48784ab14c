"""Smoke run of benchmarks/bench_estimates.py --quick (skipped without the credit data)."""

import importlib.util

import pytest
from conftest import REPO, SHARED_DATA

BENCH = REPO / "benchmarks" / "bench_estimates.py"


@pytest.mark.skipif(
    not (SHARED_DATA / "taiwan_default_credit_card" / "UCI_Credit_Card.csv").exists()
    or not (SHARED_DATA / "german_credit" / "german.tsv.gz").exists(),
    reason=f"credit data not found under {SHARED_DATA}",
)
def test_bench_estimates_quick(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_estimates", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--quick", "--data-home", str(SHARED_DATA), "--results-dir", str(tmp_path)]) == 0
    report = (tmp_path / "estimates_quick.md").read_text(encoding="utf-8")
    assert "## (a) Mean absolute error of the target-AUC estimates" in report
    for method in ("importance weighted", "confidence (Platt)", "confidence (isotonic)", "combined"):
        assert f"| {method} | " in report  # a row of the coverage table
    assert "## (c) The trust flag" in report
    assert "| roc_auc | 100 |" in report and "| default_rate | 50 |" in report
    assert "## Errors" not in report, report[report.find("## Errors"):]
