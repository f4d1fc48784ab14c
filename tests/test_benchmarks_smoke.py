"""Smoke run of the CORAL benchmark script, as CI runs it."""

import pytest
from conftest import SHARED_DATA


@pytest.mark.skipif(
    not (SHARED_DATA / "office_caltech10_surf").is_dir(),
    reason=f"benchmark data folder {SHARED_DATA} is absent",
)
def test_bench_coral_quick_writes_a_table(tmp_path, run_quick_benchmark):
    proc = run_quick_benchmark("bench_coral.py")
    report = tmp_path / "coral_quick_1thread.md"
    assert report.is_file()
    text = report.read_text()
    # the accuracy tables: one row per quick task, a mean row, a fit-time row
    assert "| task | source only + LogReg | sktransfer CORAL + LogReg" in text
    assert "| C→A |" in text and "| W→D |" in text
    assert text.count("| **mean** |") == 2
    assert "error" not in text.split("## (b)")[0]
    # the speed run, its floor and the ratios
    assert "floor: `X.T @ X`" in text
    assert "ours / `X.T @ X` (medians)" in text
    assert "threadpool:" in text
    assert "blas/openblas" not in text or "1 thread(s), architecture" in text
    # what was written is what was printed
    assert text.strip() in proc.stdout
