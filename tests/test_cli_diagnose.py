"""`sktransfer diagnose SOURCE.csv TARGET.csv --target COLUMN`."""

import numpy as np
import pandas as pd
import pytest

from sktransfer.__main__ import main


def _tables(tmp_path, seed=0, n=300, with_target_labels=True, categorical=True):
    rng = np.random.default_rng(seed)

    def table(n, shift):
        income = rng.normal(50 + 20 * shift, 10, n)
        debt = rng.normal(10, 3, n)
        risk = -0.05 * (income - 50) + 0.3 * (debt - 10) + rng.normal(size=n)
        frame = pd.DataFrame({"income": income, "debt": debt, "default": (risk > 0.5).astype(int)})
        if categorical:
            frame["region"] = rng.choice(["north", "south"] if shift == 0 else ["south", "east"], n)
        return frame

    source, target = table(n, 0), table(n // 2, 1)
    if not with_target_labels:
        target = target.drop(columns="default")
    paths = tmp_path / "source.csv", tmp_path / "target.csv"
    source.to_csv(paths[0], index=False)
    target.to_csv(paths[1], index=False)
    return [str(p) for p in paths]


def test_diagnose_prints_drift_and_models(tmp_path, capsys):
    source, target = _tables(tmp_path)
    assert main(["diagnose", source, target, "--target", "default"]) == 0
    out = capsys.readouterr().out
    assert "300 source rows, 150 target rows, 3 features (1 categorical)" in out
    drift = out.split("Drift per feature")[1]
    assert drift.index("income") < drift.index("debt")  # income drifted, debt did not
    assert "Domain classifier AUC" in out and "income" in out.split("drive it:")[1].splitlines()[0]
    assert "importance weighted" in out and "target AUC" in out


def test_diagnose_without_target_labels(tmp_path, capsys):
    source, target = _tables(tmp_path, with_target_labels=False, categorical=False)
    assert main(["diagnose", source, target, "--target", "default"]) == 0
    out = capsys.readouterr().out
    assert "est. target AUC" in out and "target Gini" not in out


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s, t: (s.drop(columns="default"), t), "target column 'default' is not in the source file"),
        (lambda s, t: (s, t.drop(columns="debt")), "missing from the target file: debt"),
        (lambda s, t: (s, t.assign(extra=1.0)), "only in the target file: extra"),
        (lambda s, t: (s.assign(default=np.arange(len(s)) % 3), t), "must hold two outcomes"),
        (lambda s, t: (s.assign(name=[f"id{i}" for i in range(len(s))]),
                       t.assign(name=[f"id{i}" for i in range(len(t))])), "is not numeric and has"),
    ],
)
def test_diagnose_errors_name_the_problem(tmp_path, capsys, change, message):
    source, target = _tables(tmp_path, categorical=False)
    s, t = change(pd.read_csv(source), pd.read_csv(target))
    s.to_csv(source, index=False)
    t.to_csv(target, index=False)
    assert main(["diagnose", source, target, "--target", "default"]) == 2
    assert message in capsys.readouterr().err


def test_diagnose_missing_and_empty_files(tmp_path, capsys):
    source, target = _tables(tmp_path)
    assert main(["diagnose", str(tmp_path / "nope.csv"), target, "--target", "default"]) == 2
    assert "source file not found" in capsys.readouterr().err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert main(["diagnose", source, str(empty), "--target", "default"]) == 2
    assert "target file is empty" in capsys.readouterr().err
    header_only = tmp_path / "header.csv"
    header_only.write_text("income,debt,default,region\n")
    assert main(["diagnose", source, str(header_only), "--target", "default"]) == 2
    assert "has a header but no rows" in capsys.readouterr().err


def test_diagnose_needs_the_target_option(tmp_path, capsys):
    source, target = _tables(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["diagnose", source, target])
    assert exit_info.value.code == 2
