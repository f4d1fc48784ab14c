"""Smoke run of the deep domain-adaptation benchmark, as CI runs it."""

import pytest
from conftest import REPO, SHARED_DATA

pytest.importorskip("torch")
pytest.importorskip("skorch")


@pytest.mark.skipif(
    not (SHARED_DATA / "mnist_usps_jda").is_dir(),
    reason=f"benchmark data folder {SHARED_DATA / 'mnist_usps_jda'} is absent",
)
def test_bench_deep_quick_writes_a_report(tmp_path, run_quick_benchmark):
    proc = run_quick_benchmark("bench_deep.py")
    report = tmp_path / "deep_quick.md"
    assert report.is_file()
    text = report.read_text()
    assert text.strip() in proc.stdout  # what was written is what was printed
    assert f"sktransfer from `{REPO / 'sktransfer'}`" in text
    assert "1 thread(s)" in text

    head, rest = text.split("## (a)", 1)
    section_a, rest = rest.split("## (b)", 1)
    section_b, rest = rest.split("## (c)", 1)
    section_c, section_d = rest.split("## (d)", 1)
    # (a) one row per method, both directions, the verdict line
    for method in ("| source only |", "| DANN |", "| DeepCORAL |", "| MMD (5 kernels) |"):
        assert method in section_a
    assert "M→U mean ± std | U→M mean ± std" in section_a
    assert "DANN − source only (same optimiser" in section_a
    # (b) skada side by side, or a note that it is not installed
    if "not installed" not in section_b:
        assert "| skada DANN as shipped |" in section_b
        assert "| skada DANN, working domain classifier |" in section_b
        assert "| sktransfer DANN |" in section_b
    # (c) tabular classification and regression
    assert "| blobs, stretch (5 features, 3 classes) |" in section_c
    assert "| target MSE, mean ± std |" in section_c
    assert "DANN regressor target MSE / source-only MLP regressor" in section_c
    # (d) the time ratio against plain skorch, for the CNN and the MLP
    assert "| digits, SmallCNN |" in section_d and "| tabular 4000 x 20" in section_d
    assert "Traceback" not in proc.stdout + proc.stderr
