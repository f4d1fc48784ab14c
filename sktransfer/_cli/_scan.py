"""One streaming pass over a file: the checks, a stratified sample of bounded
size, and histograms for PSI and KS. Memory grows with the sample and the
number of columns, not with the rows."""

import re

import numpy as np

from ._text import CommandError, escape, quoted

MAX_LEVELS = 50  # a text column with more distinct values is not one-hot encoded
MAX_MAGNITUDE = 1e100  # sktransfer._validation's float64 range
MIN_MAGNITUDE = 1e-100
KS_BINS = 1000  # fine bins of the streaming KS statistic
_ID_NAMES = re.compile(r"^(id|key|uuid|index|row)$|[_\- .](id|key|no)$", re.IGNORECASE)


def _looks_like_id(name):
    """``ID``, ``customer_id``, ``Loan No``, ``CustomerID``: a name that says identifier."""
    name = str(name).strip()
    return bool(_ID_NAMES.search(name) or re.search(r"[a-z]ID$", name))


class Scan:
    """What one pass over a file learnt.

    Attributes
    ----------
    n_rows : int
    sample : DataFrame
        The sampled rows (all rows when ``complete``), in file order; its
        index is the row number in the file.
    complete : bool
    strata_counts : dict
        Rows per value of the stratifying column.
    levels : dict
        Distinct values of each text column.
    missing : dict
        Missing values per numeric column.
    """


def _stratified_take(keys, strata, counts, size):
    """Row positions of a stratified sample of ``size`` rows: per stratum, the
    smallest keys, in proportion to the stratum's rows (largest remainders)."""
    total = sum(counts.values())
    labels = list(counts)
    exact = np.array([size * counts[s] / total for s in labels])
    alloc = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - alloc), kind="stable")[: size - alloc.sum()]:
        alloc[i] += 1
    taken = []
    for s, n in zip(labels, alloc):
        rows = np.flatnonzero(strata == s)
        taken.append(rows[np.argsort(keys[rows], kind="stable")[:n]])
    return np.sort(np.concatenate(taken)) if taken else np.array([], dtype=int)


def scan(table, kinds, columns, features, *, strata=None, sample_size, rng, hist=None, period=None,
         progress=None, forbid_missing=None):
    """Read ``table`` once.

    Parameters
    ----------
    table : TableFile
    kinds : dict
        ``"numeric"`` or ``"text"`` per column.
    columns : list
        Columns to read.
    features : list
        The feature columns among them (checked, counted).
    strata : str or None
        The column the sample is stratified by (the outcome in the source
        file, the period in the target file).
    sample_size : int
        Rows kept (all of them when the file has no more).
    rng : numpy Generator
        Draws one key per row, in file order: the sample does not depend on
        how the reader cuts the file into chunks.
    hist : Histograms or None
        Updated with every chunk (the target file's pass).
    period : str or None
        The period column, passed to ``hist``.
    forbid_missing : str or None
        A column that must have no missing value (the source's outcome).
    """
    import pandas as pd

    features_numeric = [c for c in features if kinds[c] == "numeric"]
    text = [c for c in features if kinds[c] == "text"]
    out = Scan()
    out.n_rows = 0
    out.levels = {c: set() for c in text}
    out.missing = dict.fromkeys(features_numeric, 0)
    largest = np.zeros(len(features_numeric))
    integer = np.ones(len(features_numeric), dtype=bool)
    increasing = np.ones(len(features_numeric), dtype=bool)
    last = np.full(len(features_numeric), -np.inf)
    strata_counts = {}
    pieces, kept_keys, kept_strata, n_kept = [], [], [], 0
    threshold = 1.0
    for chunk in table.chunks(kinds, columns):
        start = out.n_rows
        chunk.index = pd.RangeIndex(start, start + len(chunk))
        out.n_rows += len(chunk)
        block = chunk[features_numeric].to_numpy(dtype=np.float64)
        nan = np.isnan(block)
        if np.isinf(block).any():
            row, col = np.argwhere(np.isinf(block))[0]
            name = features_numeric[col]
            raise CommandError(
                f"column {quoted(name)} of the {table.role} file holds an infinite value (data row "
                f"{start + row + 1}): replace it by a number or leave it empty, or drop the column "
                f"with --drop {escape(name)}"
            )
        for c, n in zip(features_numeric, nan.sum(axis=0)):
            out.missing[c] += int(n)
        values = np.where(nan, 0.0, np.abs(block))
        if len(block):
            largest = np.maximum(largest, values.max(axis=0))
            integer &= np.all(nan | (block == np.round(block)), axis=0)
            increasing &= ~nan.any(axis=0) & (block[0] > last)
            if len(block) > 1:
                increasing &= np.all(np.diff(block, axis=0) > 0, axis=0)
            last = np.where(nan[-1], last, block[-1])
        for c in text:
            if len(out.levels[c]) <= MAX_LEVELS:
                out.levels[c].update(chunk[c].dropna().unique().tolist())
        if forbid_missing is not None and chunk[forbid_missing].isna().any():
            row = int(np.flatnonzero(chunk[forbid_missing].isna().to_numpy())[0])
            raise CommandError(
                f"the outcome column {quoted(forbid_missing)} has a missing value in the {table.role} "
                f"file (data row {start + row + 1}): every source row needs an outcome"
            )
        if strata is not None:
            stratum = chunk[strata].to_numpy()
            if kinds[strata] == "text":
                stratum = np.where(pd.isna(stratum), "", stratum.astype(object)).astype(str)
            for s, n in zip(*np.unique(stratum, return_counts=True)):
                strata_counts[s] = strata_counts.get(s, 0) + int(n)
        else:
            stratum = np.zeros(len(chunk), dtype=int)
            strata_counts[0] = strata_counts.get(0, 0) + len(chunk)
        if hist is not None:
            hist.add(chunk, period)
        keys = rng.random(len(chunk))
        keep = keys < threshold
        if keep.any():
            pieces.append(chunk[keep])
            kept_keys.append(keys[keep])
            kept_strata.append(stratum[keep])
            n_kept += int(keep.sum())
        if n_kept > 2 * sample_size + 1000:
            # keep, per stratum, the sample_size smallest keys: enough for any allocation
            frame, k, s = pd.concat(pieces), np.concatenate(kept_keys), np.concatenate(kept_strata)
            rows = []
            for value in np.unique(s):
                r = np.flatnonzero(s == value)
                rows.append(r[np.argsort(k[r], kind="stable")[:sample_size]])
            rows = np.sort(np.concatenate(rows))
            pieces, kept_keys, kept_strata = [frame.iloc[rows]], [k[rows]], [s[rows]]
            n_kept = len(rows)
            # a key above every stratum's sample_size-th smallest can never be taken
            per_stratum = [np.sort(k[rows][s[rows] == v]) for v in np.unique(s[rows])]
            if all(len(p) >= sample_size for p in per_stratum):
                threshold = max(p[sample_size - 1] for p in per_stratum)
        if progress is not None:
            progress.update(f"reading the {table.role} file: {out.n_rows:,} rows")
    if out.n_rows == 0:
        raise CommandError(f"{table.role} file has a header but no rows: {escape(table.path)}")
    frame = pd.concat(pieces) if pieces else None
    keys, stratum = np.concatenate(kept_keys), np.concatenate(kept_strata)
    out.complete = out.n_rows <= sample_size
    if out.complete:
        out.sample = frame
    else:
        counts = {s: n for s, n in strata_counts.items()}
        out.sample = frame.iloc[_stratified_take(keys, stratum, counts, sample_size)]
    out.strata_counts = strata_counts
    out.largest = dict(zip(features_numeric, largest))
    out.id_like = [
        c for c, i, inc in zip(features_numeric, integer, increasing)
        if out.n_rows >= 20 and i and (inc or (_looks_like_id(c) and out.sample[c].is_unique
                                                and out.sample[c].notna().all()))
    ]
    return out


class Histograms:
    """Counts of each feature's values in bins set on the source sample:
    fine bins for KS, the source deciles for PSI; categories for text
    columns; per period (deciles and categories only) when a period column
    is given."""

    def __init__(self, source_sample, numeric, text, n_bins=10):
        self.numeric, self.text = list(numeric), list(text)
        fine_levels = np.linspace(0.0, 1.0, KS_BINS + 1)[1:-1]
        psi_levels = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
        self.fine, self.to_psi = [], []
        for c in self.numeric:
            values = source_sample[c].to_numpy(dtype=np.float64)
            values = values[~np.isnan(values)]
            if values.size:
                deciles = np.unique(np.quantile(values, psi_levels))
                fine = np.unique(np.r_[np.quantile(values, fine_levels), deciles])
            else:
                deciles = fine = np.array([])
            self.fine.append(fine)
            # fine bin i is (fine[i-1], fine[i]]: every value in it has the same PSI bin
            lower = np.r_[-np.inf, fine]
            self.to_psi.append(np.searchsorted(deciles, lower, side="right"))
        self.counts = [np.zeros(f.size + 1, dtype=np.int64) for f in self.fine]
        self.missing = np.zeros(len(self.numeric), dtype=np.int64)
        self.sums = np.zeros(len(self.numeric))
        self.levels = {c: {} for c in self.text}
        self.periods = {}
        self.n_rows = 0

    def add(self, chunk, period=None):
        self.n_rows += len(chunk)
        groups = None
        if period is not None:
            key = chunk[period]
            groups = {p: np.flatnonzero((key == p).to_numpy()) for p in key.dropna().unique()}
            if key.isna().any():
                groups[None] = np.flatnonzero(key.isna().to_numpy())
        for j, c in enumerate(self.numeric):
            values = chunk[c].to_numpy(dtype=np.float64)
            nan = np.isnan(values)
            self.missing[j] += int(nan.sum())
            self.sums[j] += float(values[~nan].sum())
            bins = np.searchsorted(self.fine[j], values[~nan], side="left")
            self.counts[j] += np.bincount(bins, minlength=self.counts[j].size)
            if groups is not None:
                psi_bins = np.full(len(values), -1)
                psi_bins[~nan] = self.to_psi[j][bins]
                for p, rows in groups.items():
                    self._period(p)["numeric"][j] += np.bincount(
                        psi_bins[rows] + 1, minlength=self.to_psi[j].max() + 2)
        for c in self.text:
            for value, n in chunk[c].value_counts(dropna=False).items():
                value = None if value is None or value != value else value
                self.levels[c][value] = self.levels[c].get(value, 0) + int(n)
        if groups is not None:
            for p, rows in groups.items():
                record = self._period(p)
                record["rows"] += len(rows)
                for c in self.text:
                    for value, n in chunk[c].iloc[rows].value_counts(dropna=False).items():
                        value = None if value is None or value != value else value
                        record["text"][c][value] = record["text"][c].get(value, 0) + int(n)

    def _period(self, p):
        if p not in self.periods:
            self.periods[p] = {
                "rows": 0,
                "numeric": [np.zeros(t.max() + 2, dtype=np.int64) for t in self.to_psi],
                "text": {c: {} for c in self.text},
            }
        return self.periods[p]

    def psi_counts(self, j):
        """Counts per PSI bin of numeric feature ``j``, missing values last."""
        counts = np.bincount(self.to_psi[j], weights=self.counts[j], minlength=self.to_psi[j].max() + 1)
        return np.r_[counts, self.missing[j]]


def _psi(expected, actual, eps=1e-4):
    from ..diagnostics._drift import _psi_from_proportions

    return _psi_from_proportions(expected / max(expected.sum(), 1), actual / max(actual.sum(), 1), eps)


def _category_psi(source, target, eps=1e-4):
    categories = list(dict.fromkeys(list(source) + list(target)))
    s = np.array([source.get(c, 0) for c in categories], dtype=float)
    t = np.array([target.get(c, 0) for c in categories], dtype=float)
    return _psi(s, t, eps)


def streaming_report(source, target):
    """The drift table (the columns of ``drift_report``) from two
    :class:`Histograms` on the same bins. KS is read at the fine bins' edges:
    exact at those points, off by at most the mass of one bin in between."""
    import pandas as pd
    from scipy import stats

    from ..diagnostics._drift import _psi_band

    rows = []
    for j, c in enumerate(source.numeric):
        psi = _psi(source.psi_counts(j), target.psi_counts(j))
        ns, nt = source.counts[j].sum(), target.counts[j].sum()
        if ns and nt:
            cdf_s = np.cumsum(source.counts[j]) / ns
            cdf_t = np.cumsum(target.counts[j]) / nt
            ks = float(np.max(np.abs(cdf_s - cdf_t)))
            pvalue = float(stats.kstwobign.sf(ks * np.sqrt(ns * nt / (ns + nt))))
        else:
            ks = pvalue = np.nan
        rows.append({
            "feature": c, "psi": psi, "band": _psi_band(psi), "ks_statistic": ks, "ks_pvalue": pvalue,
            "source_mean": source.sums[j] / ns if ns else np.nan,
            "target_mean": target.sums[j] / nt if nt else np.nan,
            "source_missing": source.missing[j] / max(source.n_rows, 1),
            "target_missing": target.missing[j] / max(target.n_rows, 1),
            "kind": "numeric",
        })
    for c in source.text:
        psi = _category_psi(source.levels[c], target.levels[c])
        rows.append({
            "feature": c, "psi": psi, "band": _psi_band(psi), "ks_statistic": np.nan,
            "ks_pvalue": np.nan, "source_mean": np.nan, "target_mean": np.nan,
            "source_missing": source.levels[c].get(None, 0) / max(source.n_rows, 1),
            "target_missing": target.levels[c].get(None, 0) / max(target.n_rows, 1),
            "kind": "categorical",
        })
    order = {c: i for i, c in enumerate(source.numeric + source.text)}
    report = pd.DataFrame(rows).set_index("feature")
    report = report.iloc[np.argsort([order[c] for c in report.index])]
    return report.sort_values("psi", ascending=False, kind="stable")


def streaming_psi_by_period(source, target):
    """PSI of each feature (rows) in each target period (columns, sorted)."""
    import pandas as pd

    periods = sorted((p for p in target.periods if p is not None), key=lambda p: (str(type(p)), p))
    table = {}
    for p in periods:
        record = target.periods[p]
        column = {}
        for j, c in enumerate(source.numeric):
            column[c] = _psi(source.psi_counts(j), record["numeric"][j][np.r_[1:len(record["numeric"][j]), 0]])
        for c in source.text:
            column[c] = _category_psi(source.levels[c], record["text"][c])
        table[p] = column
    return pd.DataFrame(table)
