"""Smoke run of benchmarks/bench_credit.py --quick (skipped without the credit data)."""

import importlib.util

import pytest
from conftest import REPO, SHARED_DATA

BENCH = REPO / "benchmarks" / "bench_credit.py"


@pytest.mark.skipif(
    not (SHARED_DATA / "taiwan_default_credit_card" / "UCI_Credit_Card.csv").exists()
    or not (SHARED_DATA / "german_credit" / "german.tsv.gz").exists(),
    reason=f"credit data not found under {SHARED_DATA}",
)
def test_bench_credit_quick(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_credit", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--quick", "--data-home", str(SHARED_DATA), "--results-dir", str(tmp_path)]) == 0
    report = (tmp_path / "credit_quick.md").read_text(encoding="utf-8")
    assert "## (a) No target labels" in report
    assert "### LogReg, n = 300" in report
    assert "naive estimate (source AUC), mean absolute error" in report
    assert "weighted estimate, default (flattened), mean absolute error" in report
    for claim in ("parameter transfer beats both source-only and target-only at n=300 on average",
                  "default importance weighting never loses more than 0.005"):
        assert claim in report
    assert "## Errors" not in report, report[report.find("## Errors"):]
