"""Smoke run of the model-selection benchmark script, as CI runs it."""

import pytest
from conftest import REPO, SHARED_DATA


@pytest.mark.skipif(
    not (SHARED_DATA / "office_caltech10_surf").is_dir()
    or not (SHARED_DATA / "amazon_review_400").is_dir(),
    reason=f"benchmark data folder {SHARED_DATA} is absent",
)
def test_bench_model_selection_quick_writes_a_report(tmp_path, run_quick_benchmark):
    proc = run_quick_benchmark("bench_model_selection.py")
    report = tmp_path / "model_selection_quick.md"
    assert report.is_file()
    text = report.read_text()
    assert text.strip() in proc.stdout
    assert f"from `{REPO / 'sktransfer'}`" in text
    assert "1 thread(s), architecture" in text

    regret = text.split("## Mean regret")[1].split("## Mean Spearman")[0]
    for scorer in ("| source accuracy |", "| IWCV |", "| entropy |", "| SND |", "| DEV |",
                   "| reverse validation |"):
        assert scorer in regret
    assert "Office-Caltech CORAL" in regret and "Amazon TCA" in regret
    assert "failed" not in regret
    if "skada's scorers are left out" not in text:
        for scorer in ("| skada IWCV |", "| skada entropy |", "| skada DEV |", "| skada circular |"):
            assert scorer in regret
    assert "Scorer failures" not in text
    assert "| W→D |" in text and "| B→K |" in text
    assert "Lowest mean regret" in text
