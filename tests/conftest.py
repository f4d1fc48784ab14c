"""Shared test helpers: where the benchmark data is, and a quick benchmark run."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# the benchmark data: $SKTRANSFER_DATA_HOME, else ../shared/data beside the repository
SHARED_DATA = Path(os.environ.get("SKTRANSFER_DATA_HOME") or REPO.parent / "shared" / "data")


@pytest.fixture
def run_quick_benchmark(tmp_path):
    """Run ``benchmarks/<script> --quick --blas-threads 1`` in a fresh process,
    from a temporary working directory, and return its completed process."""

    def run(script):
        env = dict(os.environ, SKTRANSFER_DATA_HOME=str(SHARED_DATA))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        proc = subprocess.run(
            # one BLAS thread: fast and steady even on an oversubscribed CI runner
            [sys.executable, str(REPO / "benchmarks" / script), "--quick", "--blas-threads", "1",
             "--results-dir", str(tmp_path)],
            cwd=tmp_path,  # the script must not depend on the working directory
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert not list(tmp_path.glob("*.tmp"))
        return proc

    return run
