"""`sktransfer diagnose` on hostile files: every user error is one line on
stderr and exit status 2, never a traceback; names are escaped.

``python tests/test_cli_hardening.py`` prints the table of each hostile input
and what the user sees.
"""

import gzip
import sys

import numpy as np
import pandas as pd
import pytest

from sktransfer.__main__ import main


def _frames(n=120, seed=0):
    rng = np.random.default_rng(seed)

    def table(n, shift):
        income = rng.normal(50 + 10 * shift, 10, n).round(2)
        debt = rng.normal(10, 3, n).round(2)
        risk = -0.05 * (income - 50) + 0.3 * (debt - 10) + rng.normal(size=n)
        return pd.DataFrame({"income": income, "debt": debt, "default": (risk > 0.5).astype(int)})

    return table(n, 0), table(n, 1)


def _write(tmp_path, source, target, sep=",", names=("source.csv", "target.csv")):
    paths = [tmp_path / names[0], tmp_path / names[1]]
    for frame, path in zip((source, target), paths):
        if str(path).endswith(".gz"):
            with gzip.open(path, "wt") as handle:
                frame.to_csv(handle, sep=sep, index=False)
        else:
            frame.to_csv(path, sep=sep, index=False)
    return [str(p) for p in paths]


def _set(frame, column, row, value):
    frame = frame.astype({column: object}) if isinstance(value, str) else frame.copy()
    frame.loc[row, column] = value
    return frame


# each case: (name, change(source, target) -> (source, target), extra options, words in the message)
CASES = [
    ("inf in the source", lambda s, t: (_set(s, "income", 7, np.inf), t), [],
     ["'income'", "source file", "infinite", "row 8"]),
    ("-inf in the target", lambda s, t: (s, _set(t, "debt", 3, -np.inf)), [],
     ["'debt'", "target file", "infinite"]),
    ("all-empty column", lambda s, t: (s.assign(notes=np.nan), t.assign(notes=np.nan)), [],
     ["'notes'", "no value", "--drop notes"]),
    ("empty in the target only", lambda s, t: (s.assign(notes=1.0), t.assign(notes=np.nan)), [],
     ["'notes'", "no value in the target file"]),
    ("4-row source", lambda s, t: (s.head(4), t), [], ["4 rows", "at least 10 rows of each outcome"]),
    ("values near 1e300", lambda s, t: (s.assign(income=s["income"] * 1e298), t), [],
     ["'income'", "magnitude", "e+299", "1e+100"]),
    ("numeric in one file, text in the other",
     lambda s, t: (s, t.assign(debt=[f"d{i % 7}" for i in range(len(t))])), [],
     ["'debt'", "numbers in the source file", "text in the target file", "'d0'"]),
    ("numbers, then text further down", lambda s, t: (s, _set(t, "debt", len(t) - 1, "n/a?")), [],
     ["'debt'", "target file", "further down", "'n/a?'"]),
    ("numeric ID column", lambda s, t: (s.assign(customer_id=np.arange(len(s))),
                                        t.assign(customer_id=np.arange(len(t)) + 10_000)), [],
     ["'customer_id'", "row identifier", "--id customer_id"]),
    ("text ID column", lambda s, t: (s.assign(ref=[f"r{i}" for i in range(len(s))]),
                                     t.assign(ref=[f"q{i}" for i in range(len(t))])), [],
     ["'ref'", "--id ref"]),
    ("three outcomes", lambda s, t: (s.assign(default=np.arange(len(s)) % 3), t), [],
     ["two outcomes", "holds 3"]),
    ("one outcome", lambda s, t: (s.assign(default=0), t), [], ["two outcomes", "holds 1"]),
    ("missing outcome in the source", lambda s, t: (_set(s, "default", 5, np.nan), t), [],
     ["missing value", "row 6"]),
    ("unknown outcome in the target", lambda s, t: (s, t.assign(default=t["default"] + 5)), [],
     ["outcomes the source does not"]),
    ("--positive not an outcome", lambda s, t: (s, t), ["--positive", "yes"],
     ["--positive 'yes'", "'0', '1'"]),
    ("bad --sep", lambda s, t: (s, t), ["--sep", "ab"], ["--sep must be one character"]),
    ("--sep that is not the file's", lambda s, t: (s, t), ["--sep", ";"],
     ["not in the source file", "one column", "--sep"]),
    ("--drop a column in neither file", lambda s, t: (s, t), ["--drop", "nope"], ["'nope'", "neither file"]),
    ("--period not in the target", lambda s, t: (s, t), ["--period", "month"], ["'month'", "target file"]),
    ("column missing from the target", lambda s, t: (s, t.drop(columns="debt")), [],
     ["missing from the target file: debt"]),
    ("9-row target", lambda s, t: (s, t.head(9)), [], ["9 rows", "at least 10"]),
    ("duplicate column names", None, [], ["names a column twice"]),
    ("ANSI escape in a column name", lambda s, t: (s.rename(columns={"income": "inc\x1b[31mome"}), t),
     [], ["missing from the target file: inc\\x1b[31mome", "only in the target file: income"]),
]


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Blocks of a few hundred bytes: the files are read in many chunks, as large files are."""
    monkeypatch.setattr("sktransfer._cli._reading.CHUNK_BYTES", 600)


def _run(tmp_path, capsys, change, options, target="default"):
    source, target_frame = _frames()
    if change is None:  # a header naming a column twice
        paths = [tmp_path / "source.csv", tmp_path / "target.csv"]
        paths[0].write_text("income,income,default\n1,2,0\n3,4,1\n")
        target_frame.to_csv(paths[1], index=False)
        paths = [str(p) for p in paths]
    else:
        paths = _write(tmp_path, *change(source, target_frame))
    status = main(["diagnose", *paths, "--target", target, *options])
    captured = capsys.readouterr()
    return status, captured


@pytest.mark.parametrize("name, change, options, words", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_one_line_and_status_2(tmp_path, capsys, name, change, options, words):
    status, captured = _run(tmp_path, capsys, change, options)
    err = captured.err
    assert status == 2, (name, err, captured.out)
    assert err.startswith("sktransfer diagnose: error: "), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, (word, err)
    assert "\x1b" not in err


def test_missing_file_and_empty_file(tmp_path, capsys):
    paths = _write(tmp_path, *_frames())
    assert main(["diagnose", str(tmp_path / "nope.csv"), paths[1], "--target", "default"]) == 2
    err = capsys.readouterr().err
    assert "source file not found" in err and err.count("\n") == 1
    (tmp_path / "empty.csv").write_text("")
    assert main(["diagnose", paths[0], str(tmp_path / "empty.csv"), "--target", "default"]) == 2
    assert "target file is empty" in capsys.readouterr().err


def test_control_characters_in_names_are_escaped(tmp_path, capsys):
    source, target = _frames()
    bad = "inc\x1b[31mome\nx\x07"
    paths = _write(tmp_path, source.rename(columns={"income": bad}), target.rename(columns={"income": bad}))
    assert main(["diagnose", *paths, "--target", "default"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "inc\\x1b[31mome\\nx\\x07" in out


def test_text_outcomes_of_any_two_values(tmp_path, capsys):
    source, target = _frames()
    words = {0: "good", 1: "bad"}
    paths = _write(tmp_path, source.assign(default=source["default"].map(words)),
                   target.assign(default=target["default"].map(words)))
    assert main(["diagnose", *paths, "--target", "default"]) == 0
    out = capsys.readouterr().out
    assert "positive class 'good'" in out  # the text that sorts last, by default
    assert main(["diagnose", *paths, "--target", "default", "--positive", "bad"]) == 0
    out_bad = capsys.readouterr().out
    assert "positive class 'bad'" in out_bad
    # either way the model ranks the target rows well (the outcome depends on the features)
    for o in (out, out_bad):
        row = next(line for line in o.splitlines() if line.startswith("source only"))
        target_auc = float(row.split()[-3])
        assert target_auc > 0.7, o
    yes_no = {0: "no", 1: "yes"}
    paths = _write(tmp_path, source.assign(default=source["default"].map(yes_no)),
                   target.assign(default=target["default"].map(yes_no)))
    assert main(["diagnose", *paths, "--target", "default"]) == 0
    assert "positive class 'yes'" in capsys.readouterr().out


def test_id_and_drop_leave_columns_out(tmp_path, capsys):
    source, target = _frames()
    paths = _write(tmp_path, source.assign(customer_id=np.arange(len(source)), noise=1.0),
                   target.assign(customer_id=np.arange(len(target)) + 10_000, noise=2.0))
    assert main(["diagnose", *paths, "--target", "default", "--id", "customer_id",
                 "--drop", "noise"]) == 0
    out = capsys.readouterr().out
    assert "2 features" in out and "id column 'customer_id'" in out and "dropped noise" in out
    assert "customer_id" not in out.split("Drift per feature")[1]


@pytest.mark.parametrize("sep, suffix", [(";", ".csv"), ("\t", ".tsv.gz"), ("|", ".txt")])
def test_separators_are_detected(tmp_path, capsys, sep, suffix):
    paths = _write(tmp_path, *_frames(), sep=sep, names=(f"s{suffix}", f"t{suffix}"))
    assert main(["diagnose", *paths, "--target", "default"]) == 0
    out = capsys.readouterr().out
    assert "120 source rows" in out and "(detected)" in out
    name = {";": "semicolon", "\t": "tab", "|": "pipe"}[sep]
    assert f"source {name} (detected)" in out


def _table(cases):
    """Markdown table of each hostile input and the message the user sees."""
    import tempfile
    from pathlib import Path

    class Capture:
        def __init__(self):
            self.err = ""

    import contextlib
    import io

    from sktransfer._cli import _reading

    _reading.CHUNK_BYTES = 600  # as in the tests: files read in many chunks
    lines = ["| hostile input | exit | what the user sees (stderr) |", "|---|---|---|"]
    for name, change, options, _ in cases:
        with tempfile.TemporaryDirectory() as tmp:
            err, out = io.StringIO(), io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                source, target = _frames()
                if change is None:
                    p = Path(tmp) / "source.csv"
                    p.write_text("income,income,default\n1,2,0\n3,4,1\n")
                    target.to_csv(Path(tmp) / "target.csv", index=False)
                    paths = [str(p), str(Path(tmp) / "target.csv")]
                else:
                    paths = _write(Path(tmp), *change(source, target))
                status = main(["diagnose", *paths, "--target", "default", *options])
            message = err.getvalue().strip().replace(tmp, "TMP").replace("|", "\\|")
            lines.append(f"| {name} {' '.join(options)} | {status} | {message} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(_table(CASES))
    sys.exit(0)
