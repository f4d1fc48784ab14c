"""`sktransfer diagnose` options: --sample (streamed drift equals the exact
table within its bounds), --json (schema sktransfer.diagnose/1), --period,
--html, --progress, and the warning when the domains barely overlap."""

import json

import numpy as np
import pandas as pd
import pytest

from sktransfer.__main__ import main
from sktransfer._domain import stack_domains
from sktransfer.diagnostics import drift_report


def _shifted(n_source=3000, n_target=2000, seed=0, periods=0):
    rng = np.random.default_rng(seed)

    def table(n, shift):
        income = rng.normal(50 + 10 * shift, 10, n).round(2)
        debt = rng.gamma(2.0 + shift, 3.0, n).round(2)
        grade = rng.choice(["A", "B", "C"], n, p=[0.5 - 0.2 * min(shift, 1), 0.3, 0.2 + 0.2 * min(shift, 1)])
        risk = -0.05 * (income - 50) + 0.2 * (debt - 6) + (grade == "C") + rng.normal(size=n)
        return pd.DataFrame({"income": income, "debt": debt, "grade": grade, "default": (risk > 0.5).astype(int)})

    source = table(n_source, 0.0)
    if periods:
        parts = [table(n_target // periods, k / (periods - 1)).assign(month=f"2024-{k + 1:02d}")
                 for k in range(periods)]
        target = pd.concat(parts, ignore_index=True)
    else:
        target = table(n_target, 1.0)
    return source, target


def _files(tmp_path, source, target):
    paths = tmp_path / "source.csv", tmp_path / "target.csv"
    source.to_csv(paths[0], index=False)
    target.to_csv(paths[1], index=False)
    return [str(p) for p in paths]


def test_streamed_drift_matches_the_exact_table(tmp_path, capsys, monkeypatch):
    source, target = _shifted()
    paths = _files(tmp_path, source, target)
    exact = drift_report(*stack_domains(source.drop(columns="default"), source["default"].to_numpy(),
                                        target.drop(columns="default")))
    monkeypatch.setattr("sktransfer._cli._reading.CHUNK_BYTES", 4096)  # many chunks
    monkeypatch.setattr("sktransfer._cli.diagnose._EDGE_SAMPLE", 1000)  # bins set on a sample
    assert main(["diagnose", *paths, "--target", "default", "--sample", "800", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["drift_method"] == "streaming"
    assert document["inputs"]["source"] == {
        "path": paths[0], "separator": ",", "rows": 3000, "sampled_rows": 800, "sampled": True}
    assert document["inputs"]["target"]["sampled_rows"] == 800
    drift = {row["feature"]: row for row in document["drift"]}
    for feature in ("income", "debt"):
        # the bins come from a sample of 1000 source rows: the PSI moves a little
        assert drift[feature]["psi"] == pytest.approx(exact.loc[feature, "psi"], abs=0.03)
        bound = drift[feature]["ks_error_bound"]
        assert abs(drift[feature]["ks_statistic"] - exact.loc[feature, "ks_statistic"]) <= bound + 1e-12
        assert drift[feature]["source_mean"] == pytest.approx(exact.loc[feature, "source_mean"])
    assert drift["grade"]["psi"] == pytest.approx(exact.loc["grade", "psi"])  # counts: exact
    # the stratified sample keeps the outcome's share
    share = source["default"].mean()
    assert document["outcome"]["source_counts"]["1"] == int(source["default"].sum())
    assert document["domain_classifier"]["rows"] == {"source": 800, "target": 800}
    assert abs(share - 0.5) < 0.5  # a real two-class problem


def test_json_schema_and_text_report_agree(tmp_path, capsys):
    source, target = _shifted(600, 400)
    paths = _files(tmp_path, source, target)
    assert main(["diagnose", *paths, "--target", "default", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == "sktransfer.diagnose/1"
    for key in ("inputs", "outcome", "features", "drift", "drift_by_period", "domain_classifier",
                "models", "weights", "warnings"):
        assert key in document, key
    assert document["drift_method"] == "exact"
    assert [m["name"] for m in document["models"]] == ["source only", "importance weighted"]
    assert document["drift"][0]["feature"] in ("income", "debt", "grade")
    assert main(["diagnose", *paths, "--target", "default"]) == 0
    text = capsys.readouterr().out
    assert f"{document['domain_classifier']['auc']:.3f}" in text


def test_period_table_follows_the_drift(tmp_path, capsys):
    source, target = _shifted(1500, 1500, periods=3)
    paths = _files(tmp_path, source, target)
    assert main(["diagnose", *paths, "--target", "default", "--period", "month", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    by_period = document["drift_by_period"]
    assert by_period["periods"] == ["2024-01", "2024-02", "2024-03"]
    income = by_period["psi"]["income"]
    assert income[0] < 0.05 < income[1] < income[2]  # period 1 is unshifted, the shift grows
    assert "month" not in document["features"]["used"]
    assert main(["diagnose", *paths, "--target", "default", "--period", "month"]) == 0
    assert "PSI by target period (3 periods)" in capsys.readouterr().out


def test_period_table_when_streamed(tmp_path, capsys, monkeypatch):
    source, target = _shifted(1500, 1500, periods=3)
    paths = _files(tmp_path, source, target)
    monkeypatch.setattr("sktransfer._cli.diagnose._EDGE_SAMPLE", 400)
    assert main(["diagnose", *paths, "--target", "default", "--period", "month", "--json",
                 "--sample", "600"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["drift_method"] == "streaming"
    income = document["drift_by_period"]["psi"]["income"]
    assert income[0] < 0.05 < income[1] < income[2]


def test_progress_on_stderr_only_when_asked(tmp_path, capsys):
    source, target = _shifted(300, 200)
    paths = _files(tmp_path, source, target)
    assert main(["diagnose", *paths, "--target", "default"]) == 0
    assert capsys.readouterr().err == ""  # not a terminal, no --progress
    assert main(["diagnose", *paths, "--target", "default", "--progress"]) == 0
    err = capsys.readouterr().err
    for stage in ("reading the source file", "reading the target file", "domain classifier", "done"):
        assert stage in err


def test_html_report_is_written(tmp_path, capsys):
    from sktransfer import diagnostics

    if not hasattr(diagnostics, "render_html_report"):
        pytest.skip("render_html_report is not in this version")
    source, target = _shifted(400, 300)
    paths = _files(tmp_path, source, target)
    out = tmp_path / "report.html"
    assert main(["diagnose", *paths, "--target", "default", "--html", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and "income" in html
    assert "data:image/png;base64" in html
    assert main(["diagnose", *paths, "--target", "default", "--html", str(tmp_path / "no" / "x.html")]) == 2
    assert "cannot write the HTML report" in capsys.readouterr().err


def test_no_overlap_warns_that_the_estimate_cannot_be_trusted(tmp_path, capsys):
    """German credit split by age: the domains are told apart (AUC 1.0)."""
    from conftest import SHARED_DATA

    path = SHARED_DATA / "german_credit" / "german.tsv.gz"
    if not path.exists():
        pytest.skip(f"German credit not found under {SHARED_DATA}")
    german = pd.read_csv(path, sep="\t")
    s, t = tmp_path / "old.tsv.gz", tmp_path / "young.tsv.gz"
    german[german["Age"] > 30].to_csv(s, sep="\t", index=False)
    german[german["Age"] <= 30].to_csv(t, sep="\t", index=False)
    assert main(["diagnose", str(s), str(t), "--target", "target"]) == 0  # no --sep: tab detected
    out = capsys.readouterr().out
    assert "source tab (detected)" in out
    warnings = [line for line in out.splitlines() if line.startswith("warning:")]
    assert any("barely overlap" in w for w in warnings)
    assert any("cannot be trusted" in w for w in warnings)


def test_shipped_german_file_reads_without_sep(tmp_path, capsys):
    from conftest import SHARED_DATA

    path = SHARED_DATA / "german_credit" / "german.tsv.gz"
    if not path.exists():
        pytest.skip(f"German credit not found under {SHARED_DATA}")
    assert main(["diagnose", str(path), str(path), "--target", "target", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["inputs"]["source"]["separator"] == "\t"
    assert len(document["features"]["used"]) == 20
    # the same file twice: no drift, a domain AUC near 0.5, no overlap warning
    assert max(row["psi"] for row in document["drift"]) < 1e-9
    assert abs(document["domain_classifier"]["auc"] - 0.5) < 0.1
    assert not any("barely overlap" in w for w in document["warnings"])


def test_pandas_reader_gives_the_same_report(tmp_path, capsys, monkeypatch):
    """Without pyarrow, pandas reads the files in chunks: the same document."""
    source, target = _shifted(1200, 2400)  # more rows than pandas' first chunk (1000)
    paths = _files(tmp_path, source, target)
    monkeypatch.setattr("sktransfer._cli._reading.CHUNK_BYTES", 8192)
    options = ["diagnose", *paths, "--target", "default", "--json", "--sample", "500"]
    assert main(options) == 0
    with_arrow = json.loads(capsys.readouterr().out)
    monkeypatch.setitem(__import__("sys").modules, "pyarrow.csv", None)  # import fails: pandas chunks
    assert main(options) == 0
    with_pandas = json.loads(capsys.readouterr().out)
    assert with_pandas["drift"] == with_arrow["drift"]
    assert with_pandas["inputs"] == with_arrow["inputs"]
    assert with_pandas["domain_classifier"]["auc"] == with_arrow["domain_classifier"]["auc"]
    bad = target.astype({"debt": object})
    bad.loc[len(bad) - 1, "debt"] = "oops"
    bad.to_csv(paths[1], index=False)
    assert main(options) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "text further down" in err and "oops" in err
