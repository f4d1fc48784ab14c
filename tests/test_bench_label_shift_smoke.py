"""Smoke run of benchmarks/bench_label_shift.py --quick (skipped without the credit data)."""

import importlib.util

import pytest
from conftest import REPO, SHARED_DATA

BENCH = REPO / "benchmarks" / "bench_label_shift.py"


@pytest.mark.skipif(
    not (SHARED_DATA / "taiwan_default_credit_card" / "UCI_Credit_Card.csv").exists()
    or not (SHARED_DATA / "german_credit" / "german.tsv.gz").exists(),
    reason=f"credit data not found under {SHARED_DATA}",
)
def test_bench_label_shift_quick(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_label_shift", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--quick", "--data-home", str(SHARED_DATA), "--results-dir", str(tmp_path)]) == 0
    report = (tmp_path / "label_shift_quick.md").read_text(encoding="utf-8")
    for heading in ("## (a) The real splits", "## (b) Induced prior shift", "## Findings",
                    "#### log loss", "#### Brier", "#### ECE"):
        assert heading in report
    for split in ("Taiwan EDUCATION 1→3", "German Age <30→≥30"):
        assert f"| {split} | LogReg |" in report and f"| {split} | HGB |" in report
    for column in ("naive (source rate)", "classify and count", "EM + BCTS", "BBSE", "default (EM + test)"):
        assert column in report
    assert "nan" not in report.lower()
