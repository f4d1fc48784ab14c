"""Smoke run of benchmarks/bench_fewshot_tabular.py --quick (skipped without the credit data)."""

import importlib.util

import pytest

from conftest import REPO, SHARED_DATA

BENCH = REPO / "benchmarks" / "bench_fewshot_tabular.py"


@pytest.mark.skipif(
    not (SHARED_DATA / "taiwan_default_credit_card" / "UCI_Credit_Card.csv").exists()
    or not (SHARED_DATA / "german_credit" / "german.tsv.gz").exists(),
    reason=f"credit data not found under {SHARED_DATA}",
)
def test_bench_fewshot_tabular_quick(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_fewshot_tabular", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--quick", "--data-home", str(SHARED_DATA), "--results-dir", str(tmp_path)]) == 0
    report = (tmp_path / "fewshot_tabular_quick.md").read_text(encoding="utf-8")
    assert "### HGB, n = 100" in report and "### LR, n = 100" in report
    assert "German Housing own→rent/free" in report
    assert "Selector's choices" in report
    assert "selector with HGB (2 splits)" in report
    assert "partial results" not in report
    assert "## Errors" not in report, report[report.find("## Errors"):]
