"""Smoke run of the fine-tuning benchmark script, as CI runs it."""

import pytest
from conftest import REPO, SHARED_DATA

pytest.importorskip("torch")
pytest.importorskip("skorch")
pytest.importorskip("h5py")


@pytest.mark.skipif(
    not (SHARED_DATA / "ccexam_digit_cnns" / "mnist.pth").is_file()
    or not (SHARED_DATA / "mnist_usps_jda").is_dir(),
    reason=f"benchmark data folder {SHARED_DATA} lacks the digit CNNs or the MNIST/USPS files",
)
def test_bench_finetune_quick_writes_a_report(tmp_path, run_quick_benchmark):
    proc = run_quick_benchmark("bench_finetune.py")
    report = tmp_path / "finetune_quick.md"
    assert report.is_file()
    text = report.read_text()
    assert text.strip() in proc.stdout
    # the checkout's own sktransfer was benchmarked, on one torch thread
    assert f"from `{REPO / 'sktransfer'}`" in text
    assert "1 torch thread(s)" in text
    table = [line for line in text.splitlines() if line.startswith("| ")][1:]
    names = [line.split(" | ")[0].strip("| *") for line in table]
    assert names == [
        "CNN's own head (no training on USPS)",
        "CNN features + LogReg on MNIST (source only)",
        "frozen backbone (new head only)",
        "last block unfrozen (`classifier`: Linear 3136→128)",
        "full fine-tuning",
        "full, discriminative lr (backbone × 0.1)",
        "full + L2-SP (β = 0.01)",
        "full fine-tuning, SGD",
        "full + L2-SP (β = 0.01), SGD",
        "same architecture from scratch",
    ]
    # every row has an accuracy (mean ± std) in [0, 100]
    for line in table:
        mean = float(line.split(" | ")[1].split(" ± ")[0])
        assert 0.0 <= mean <= 100.0
    assert "chosen without evaluation labels" in text
