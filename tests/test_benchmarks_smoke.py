"""Smoke run of the CORAL benchmark script, as CI runs it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SCRIPT = REPO / "benchmarks" / "bench_coral.py"


@pytest.mark.skipif(
    not (SHARED_DATA / "office_caltech10_surf").is_dir(),
    reason=f"benchmark data folder {SHARED_DATA} is absent",
)
def test_bench_coral_quick_writes_a_table(tmp_path):
    env = dict(os.environ, SKTRANSFER_DATA_HOME=str(SHARED_DATA))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        # one BLAS thread: fast and steady even on an oversubscribed CI runner
        [sys.executable, str(SCRIPT), "--quick", "--blas-threads", "1", "--results-dir", str(tmp_path)],
        cwd=tmp_path,  # the script must not depend on the working directory
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = tmp_path / "coral_quick_1thread.md"
    assert report.is_file()
    text = report.read_text()
    assert not list(tmp_path.glob("*.tmp"))
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
