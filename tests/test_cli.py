"""The command line (``python -m sktransfer``), in process and as a subprocess,
and the claim its default demo makes: CORAL improves target accuracy."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sktransfer
from sktransfer.__main__ import main, run_demo

ROOT = Path(sktransfer.__file__).resolve().parent.parent


def _gain(rows, adapted, source_only):
    return rows[adapted]["target_accuracy"] - rows[source_only]["target_accuracy"]


def test_main_default_runs_the_demo(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "sktransfer demo" in out
    assert "'motion_blur'" in out
    assert "used only to compute 'target acc'" in out  # target labels: evaluation only
    for column in ("target acc", "source acc", "fit time"):
        assert column in out
    table = [line for line in out.splitlines() if line.endswith(" ms")]
    assert len(table) == 4
    assert [line.split()[0] for line in table] == ["source", "CORAL", "source", "CORAL"]
    assert "each domain standardised" in out and "StandardScaler on both domains" in out
    assert "Reference, not a method" in out


def test_main_demo_options(capsys):
    argv = ["demo", "--shift", "thicken", "--severity", "0.5",
            "--estimator", "knn", "--random-state", "3"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "'thicken', severity 0.5" in out
    assert "KNeighborsClassifier" in out
    assert "random_state=3" in out
    # options without the command name go to the default command
    assert main(["--shift", "none"]) == 0
    assert "'none'" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--shift", "rain"], "invalid choice: 'rain'"),
        (["--estimator", "svm"], "invalid choice: 'svm'"),
        (["--severity", "-1"], "must be a number in (0, 10]"),
        (["--severity", "nan"], "must be a number in (0, 10]"),
        (["--severity", "1e6"], "must be a number in (0, 10]"),
        (["--severity", "lots"], "not a number"),
        (["--random-state", "-2"], "must be an integer in [0, 2**32)"),
        (["--random-state", str(2**32)], "must be an integer in [0, 2**32)"),
        (["--random-state", "1.5"], "not an integer"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["demo", "extra"], "unrecognized arguments: extra"),
        (["train"], "invalid choice: 'train'"),
    ],
)
def test_main_bad_usage_exits_2(argv, message, capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(argv)
    assert excinfo.value.code == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "usage: sktransfer" in captured.err
    assert captured.out == ""


def test_main_help_and_version(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["--help"])
    assert excinfo.value.code == 0
    out = capsys.readouterr().out
    assert "demo" in out and "usage: sktransfer" in out
    with pytest.raises(SystemExit) as excinfo:
        main(["demo", "--help"])
    assert excinfo.value.code == 0
    out = capsys.readouterr().out
    assert "--shift" in out and "motion_blur" in out and "horizontal camera shake" in out
    with pytest.raises(SystemExit) as excinfo:
        main(["--version"])
    assert excinfo.value.code == 0
    assert sktransfer.__version__ in capsys.readouterr().out


def test_python_dash_m_sktransfer():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "sktransfer"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "CORAL vs source only" in done.stdout
    assert done.stderr == ""
    bad = subprocess.run(
        [sys.executable, "-m", "sktransfer", "--shift", "rain"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert bad.returncode == 2
    assert "invalid choice" in bad.stderr


def test_demo_needs_only_numpy_scipy_and_sklearn():
    # pandas, matplotlib and torch made unimportable, as on a fresh machine
    # with only the required dependencies
    code = (
        "import sys\n"
        "BLOCKED = {'pandas', 'matplotlib', 'torch', 'skorch', 'h5py'}\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.partition('.')[0] in BLOCKED:\n"
        "            raise ImportError(f'{name} is not installed here')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from sktransfer.__main__ import main\n"
        "sys.exit(main(['--shift', 'blur', '--estimator', 'knn']))\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "'blur'" in done.stdout


def test_run_demo_result():
    result = run_demo(random_state=0)
    assert 0.9 < result["reference"] <= 1
    rows = result["rows"]
    assert [r["method"] for r in rows] == ["source only", "CORAL", "source only", "CORAL"]
    for r in rows:
        assert 0 <= r["target_accuracy"] <= 1 and 0 <= r["source_accuracy"] <= 1
        assert r["fit_seconds"] >= 0
    assert result["n_source_fit"] + result["n_source_test"] == result["n_source"]
    with pytest.raises(ValueError, match="estimator must be one of"):
        run_demo(estimator="svm")
    assert run_demo(shift="none", estimator="knn", reference=False)["reference"] is None


def test_coral_improves_target_accuracy_on_the_default_task():
    # Measured over seeds 0-9 (logreg, motion_blur, each domain standardised
    # in both arms): CORAL gains +10.0 points of target accuracy, sd 1.8,
    # smallest +6.0; seeds 0-2 give +9.8, +10.1, +10.2. The margins here are
    # about half of that.
    gains, source_changes = [], []
    for seed in (0, 1, 2):
        rows = run_demo("motion_blur", "logreg", random_state=seed, reference=False)["rows"]
        gains.append(_gain(rows, 3, 2))
        source_changes.append(rows[3]["source_accuracy"] - rows[2]["source_accuracy"])
    assert np.mean(gains) > 0.05
    assert min(gains) > 0.02
    # not bought with source accuracy (measured: -0.3 points on average)
    assert np.mean(source_changes) > -0.02


def test_coral_changes_nothing_without_a_shift():
    # the control: with no shift CORAL has nothing to correct (measured
    # +0.1 points, sd 0.2, over seeds 0-9), so the gain above is not a
    # side effect of the pipeline
    gains = [_gain(run_demo("none", "logreg", random_state=seed, reference=False)["rows"], 3, 2)
             for seed in (0, 1, 2)]
    assert abs(np.mean(gains)) < 0.01
