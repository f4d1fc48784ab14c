"""Smoke run of benchmarks/html_report_screenshot.py --quick (skipped without the Taiwan data)."""

import importlib.util

import pytest

from conftest import REPO, SHARED_DATA
from sktransfer.diagnostics._report_browser import find_chromium

SCRIPT = REPO / "benchmarks" / "html_report_screenshot.py"


@pytest.mark.skipif(not (SHARED_DATA / "taiwan_default_credit_card" / "UCI_Credit_Card.csv").exists(),
                    reason=f"Taiwan credit data not found under {SHARED_DATA}")
def test_html_report_screenshot_quick(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    spec = importlib.util.spec_from_file_location("html_report_screenshot", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--quick", "--data-home", str(SHARED_DATA), "--out-dir", str(tmp_path)]) == 0
    page = (tmp_path / "html_report_taiwan_quick.html").read_text(encoding="utf-8")
    assert "Taiwan EDUCATION" in page and "Not computed" not in page
    out = capsys.readouterr().out
    assert "true target AUC on the 750 held-apart target rows" in out
    if find_chromium() is not None:
        assert (tmp_path / "html_report_taiwan_quick.png").stat().st_size > 50_000
        assert "0 not shown, 0 console errors or warnings" in out
