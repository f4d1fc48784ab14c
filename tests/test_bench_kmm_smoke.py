"""Smoke run of benchmarks/bench_kmm_scale.py on a small problem."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_kmm_scale.py"


def test_bench_kmm_scale_quick(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_kmm_scale", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main([
        "--quick", "--n-source", "1500", "--n-target", "1500", "--n-features", "5",
        "--subsample", "300", "--results-dir", str(tmp_path),
    ])
    report = (tmp_path / "kmm_scale_quick.md").read_text()
    assert "## (a) Time and memory: 1,500 + 1,500 rows x 5 features" in report
    assert "Pearson r of the 1000-landmark weights" in report
    assert "**met**" in report
