"""Smoke run of benchmarks/bench_credit_weighting.py --quick (skipped without the credit data)."""

import importlib.util
import sys

import pytest
from conftest import REPO, SHARED_DATA

BENCH = REPO / "benchmarks" / "bench_credit_weighting.py"


@pytest.mark.skipif(
    not (SHARED_DATA / "taiwan_default_credit_card" / "UCI_Credit_Card.csv").exists()
    or not (SHARED_DATA / "german_credit" / "german.tsv.gz").exists(),
    reason=f"credit data not found under {SHARED_DATA}",
)
def test_bench_credit_weighting_quick(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    spec = importlib.util.spec_from_file_location("bench_credit_weighting", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    try:
        assert bench.main(["--quick", "--data-home", str(SHARED_DATA), "--results-dir", str(tmp_path)]) == 0
    finally:
        sys.modules.pop("bench_credit", None)
    report = (tmp_path / "credit_weighting_quick.md").read_text(encoding="utf-8")
    for section in ("## LogReg", "## HGB"):
        assert section in report
    assert report.count("Δ vs source only over splits x seeds") == 2
    assert "| Taiwan EDUCATION 1→3 |" in report and "| German Age <30→≥30 |" in report
