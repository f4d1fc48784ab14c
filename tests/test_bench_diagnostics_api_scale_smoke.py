"""Smoke run of benchmarks/bench_diagnostics_api_scale.py --quick."""


def test_bench_diagnostics_api_scale_quick(run_quick_benchmark, tmp_path):
    proc = run_quick_benchmark("bench_diagnostics_api_scale.py")
    report = (tmp_path / "diagnostics_api_scale_quick.md").read_text(encoding="utf-8")
    assert "| 80,000 | dask | streaming |" in report, proc.stdout[-2000:]
    assert "| 40,000 | in memory | exact |" in report
    assert "within its reported error bound of the exact one: yes" in report
    assert "load average" in report
