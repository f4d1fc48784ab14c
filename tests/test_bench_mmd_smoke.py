"""Smoke run of the MMD benchmark script (TCA, JDA, SA, KMM), as CI runs it."""

import pytest
from conftest import REPO, SHARED_DATA


@pytest.mark.skipif(
    not (SHARED_DATA / "office_caltech10_surf").is_dir(),
    reason=f"benchmark data folder {SHARED_DATA} is absent",
)
def test_bench_mmd_quick_writes_a_report(tmp_path, run_quick_benchmark):
    proc = run_quick_benchmark("bench_mmd.py")
    report = tmp_path / "mmd_quick.md"
    assert report.is_file()
    text = report.read_text()
    # what was written is what was printed
    assert text.strip() in proc.stdout
    # the checkout's own sktransfer was benchmarked, whatever else is installed
    assert f"from `{REPO / 'sktransfer'}`" in text
    assert "1 thread(s), architecture" in text

    head, rest = text.split("## (a)", 1)
    section_a, rest = rest.split("## (b)", 1)
    section_b, rest = rest.split("## (c)", 1)
    section_c, section_d = rest.split("## (d)", 1)

    # (a) the paper protocol on the quick task: every method ran
    assert "| W→D |" in section_a
    assert "| task | 1-NN on z-scored rows | 1-NN on unit-L2 rows | TCA(100" in section_a
    assert "error" not in section_a
    # (b) MNIST/USPS: either the table and the paper checks, or a note saying why it was skipped
    if "skipped" not in section_b:
        assert "| M→U |" in section_b and "| U→M |" in section_b
        assert "error" not in section_b.split("Against")[0]
        assert "JDA(100, μ=0.1), M→U: 67.28, paper 67.28 (matches)" in section_b
    # (c) side by side on the two quick tasks: a table, and the pairs with fit-time ratios when skada is there
    assert "| task | source only |" in section_c
    assert "| W→D |" in section_c and "| D→W |" in section_c and "ours TCA(30" in section_c and "ours SA(30)" in section_c
    assert text.count("| **mean** |") >= 3
    if "skada is not installed" not in section_c:
        assert "| TCA |" in section_c and "| SA |" in section_c
        assert "fit time ours / skada" in section_c
    # (d) scale: one row per run, each with a fit time, a peak memory and an accuracy
    for run in ("| source only |", "| TCA |", "| JDA |", "| TCA, exact |", "| TCA, 200 landmarks |"):
        assert run in section_d
    assert "error" not in section_d
    assert "peak RSS in fit (MB)" in section_d
