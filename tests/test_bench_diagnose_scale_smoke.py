"""Smoke run of benchmarks/bench_diagnose_scale.py --quick: tiny Taiwan-like
files, each through `sktransfer diagnose` as a subprocess (streamed, since
--sample is smaller than the files)."""

import importlib.util

from conftest import REPO

BENCH = REPO / "benchmarks" / "bench_diagnose_scale.py"


def test_bench_diagnose_scale_quick(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_diagnose_scale", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    scratch = tmp_path / "scratch"
    assert bench.main(["--quick", "--no-html", "--scratch", str(scratch), "--results-dir", str(tmp_path)]) == 0
    report = (tmp_path / "diagnose_scale_quick.md").read_text(encoding="utf-8")
    assert "| 6,000 x 23 | 2,000 |" in report and "| 3,000 x 23 | 2,000 |" in report
    assert "| 300 x 400 |" in report
    assert "## Errors" not in report
    assert not scratch.exists()  # the generated files are deleted
    # the generated file has the Taiwan columns and a shift the diagnosis sees
    source = bench.write_taiwan(tmp_path / "s.csv", 2000, 0.0, seed=0)
    target = bench.write_taiwan(tmp_path / "t.csv", 2000, 1.0, seed=1)
    result = bench.run_diagnose(source, target, ["--json"])
    assert result["status"] == 0, result["stderr"]
    import json

    document = json.loads(result["stdout"])
    top = [row["feature"] for row in document["drift"][:3]]
    assert "LIMIT_BAL" in top and document["domain_classifier"]["auc"] > 0.6
