"""The documentation builds offline with no warning (``sphinx-build -W``),
gallery included: every ``examples/plot_*.py`` runs inside sphinx-gallery."""

import os
import subprocess
import sys

import pytest

from conftest import REPO, SHARED_DATA

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")
pytest.importorskip("sphinx_gallery")
pytest.importorskip("matplotlib")


def test_docs_build_without_warnings(tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    env.setdefault("SKTRANSFER_DATA_HOME", str(SHARED_DATA))
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(REPO / "docs"), str(tmp_path / "html")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    html = tmp_path / "html"
    assert (html / "api.html").exists()
    # one page per public name of the API reference, and a gallery page per example
    assert len(list((html / "generated").glob("sktransfer.*.html"))) >= 40
    examples = sorted(p.stem for p in (REPO / "examples").glob("plot_*.py"))
    for name in examples:
        assert (html / "auto_examples" / f"{name}.html").exists(), name
