"""``import sktransfer`` must not import torch; the deep estimators load on first use."""

import subprocess
import sys

import pytest

from conftest import REPO


def run(code):
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_import_sktransfer_does_not_import_torch_or_skorch():
    proc = run("import sys, sktransfer; print('torch' in sys.modules, 'skorch' in sys.modules)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]


def test_deep_estimators_are_exported_lazily():
    pytest.importorskip("torch")
    pytest.importorskip("skorch")
    proc = run(
        "import sys, sktransfer\n"
        "assert 'torch' not in sys.modules\n"
        "from sktransfer.deep import DomainAdversarialClassifier as D\n"
        "assert sktransfer.DomainAdversarialClassifier is D\n"
        "assert 'DomainAlignmentClassifier' in dir(sktransfer)\n"
        "from sktransfer.deep import FineTunedClassifier, FineTunedRegressor\n"
        "assert sktransfer.FineTunedClassifier is FineTunedClassifier\n"
        "assert sktransfer.FineTunedRegressor is FineTunedRegressor\n"
        "print('ok')"
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
