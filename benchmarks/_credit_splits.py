"""The credit domain splits every tabular benchmark shares.

:func:`load_splits` returns the four splits of ``bench_credit.py`` (Taiwan
EDUCATION, SEX, AGE; German Age) and, with ``extra=True``, three more chosen
for a change of *concept* rather than only of population:

- **Taiwan MARRIAGE 1→2** (married → single): a further demographic split
  (13 659 → 15 964 rows), the default rate barely moves (0.235 → 0.209).
- **Taiwan LIMIT_BAL ≥140k → <140k** (high credit limit → low): the limit is
  set by the bank from the client's standing, so the two groups differ in how
  repayment history (PAY_*) and bill amounts relate to default, and the
  default rate moves from 0.161 to 0.286.
- **German Housing own → rent/free** (713 → 287 rows): tenants and those
  housed for free are a different population for the same attributes.

The split column is dropped from the features where it is constant within a
domain (it would only encode the domain); ``LIMIT_BAL`` is kept (it varies
within each side). Each split is a tuple
``(name, what, Xs, ys, Xt, yt, feature_names)`` of float arrays.
"""

from pathlib import Path

import pandas as pd

TAIWAN = ("taiwan_default_credit_card", "UCI_Credit_Card.csv", "default.payment.next.month")
GERMAN = ("german_credit", "german.tsv.gz", "target")


def _taiwan(data_home):
    folder, file, target = TAIWAN
    tw = pd.read_csv(Path(data_home) / folder / file).drop(columns="ID")
    return tw, tw.pop(target).to_numpy()


def _german(data_home):
    folder, file, target = GERMAN
    de = pd.read_csv(Path(data_home) / folder / file, sep="\t")
    return de, de.pop(target).to_numpy()


def _split(name, what, X, y, src, tgt, drop):
    X = X.drop(columns=drop) if drop else X
    src, tgt = src.to_numpy(), tgt.to_numpy()
    return (name, what, X[src].to_numpy(float), y[src], X[tgt].to_numpy(float), y[tgt], list(X.columns))


def load_splits(data_home, *, extra=False):
    """The credit splits: the four of ``bench_credit.py``, then the extra ones."""
    tw, y_tw = _taiwan(data_home)
    de, y_de = _german(data_home)
    splits = [
        _split("Taiwan EDUCATION 1→3", "graduate school → high school", tw, y_tw,
               tw["EDUCATION"] == 1, tw["EDUCATION"] == 3, "EDUCATION"),
        _split("Taiwan SEX 1→2", "men → women", tw, y_tw, tw["SEX"] == 1, tw["SEX"] == 2, "SEX"),
        _split("Taiwan AGE <35→≥35", "under 35 → 35 and over", tw, y_tw,
               tw["AGE"] < 35, tw["AGE"] >= 35, "AGE"),
        _split("German Age <30→≥30", "applicants under 30 → 30 and over", de, y_de,
               de["Age"] < 30, de["Age"] >= 30, "Age"),
    ]
    if extra:
        splits += [
            _split("Taiwan MARRIAGE 1→2", "married → single", tw, y_tw,
                   tw["MARRIAGE"] == 1, tw["MARRIAGE"] == 2, "MARRIAGE"),
            _split("Taiwan LIMIT_BAL ≥140k→<140k", "high credit limit → low credit limit", tw, y_tw,
                   tw["LIMIT_BAL"] >= 140_000, tw["LIMIT_BAL"] < 140_000, None),
            _split("German Housing own→rent/free", "home owners → tenants and free housing", de, y_de,
                   de["Housing"] == 1, de["Housing"] != 1, "Housing"),
        ]
    return splits
