"""Smoke run of the feature-extraction benchmark script, as CI runs it."""

import pytest
from conftest import REPO, SHARED_DATA

pytest.importorskip("torch")
pytest.importorskip("h5py")


@pytest.mark.skipif(
    not (SHARED_DATA / "ccexam_digit_cnns" / "mnist.pth").is_file()
    or not (SHARED_DATA / "mnist_usps_jda").is_dir(),
    reason=f"benchmark data folder {SHARED_DATA} lacks the digit CNNs or the MNIST/USPS files",
)
def test_bench_features_quick_writes_a_report(tmp_path, run_quick_benchmark):
    proc = run_quick_benchmark("bench_features.py")
    report = tmp_path / "features_quick.md"
    assert report.is_file()
    text = report.read_text()
    assert text.strip() in proc.stdout
    # the checkout's own sktransfer was benchmarked, on one torch thread
    assert f"from `{REPO / 'sktransfer'}`" in text
    assert "1 torch thread(s)" in text

    section_a, rest = text.split("## (a)", 1)[1].split("## (b)", 1)
    section_b, rest = rest.split("## (c)", 1)
    section_c, summary = rest.split("## Summary", 1)
    # (a) both directions, every method ran, the gap and CORAL's effect are stated
    assert "| M→U |" in section_a and "| U→M |" in section_a
    assert "error" not in section_a.split("- M→U")[0]
    assert "CNN features + CORAL + LogReg" in section_a and "(the gap)" in section_a
    # (b) the two throughput rows with their ratio
    assert section_b.count("(met)") + section_b.count("(NOT met)") == 2
    # (c) each real model either measured or skipped with the reason
    assert "all-MiniLM-L6-v2" in section_c and "EfficientNet-Lite0" in section_c
    assert "requirement ≥ 0.9 against the hand loops" in summary
