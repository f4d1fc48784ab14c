"""The passes over the files: one for the checks and a stratified sample of
bounded size (:func:`scan`), then the chunked drift statistics of
``drift_report`` over the files' rows (:class:`FileChunks`,
:func:`drift_tables`). Memory grows with the samples and the number of
columns, not with the rows."""

import re

import numpy as np

from ._text import CommandError, escape, quoted

MAX_LEVELS = 50  # a text column with more distinct values is not one-hot encoded
MAX_MAGNITUDE = 1e100  # sktransfer._validation's float64 range
MIN_MAGNITUDE = 1e-100
_ID_NAMES = re.compile(r"^(id|key|uuid|index|row)$|[_\- .](id|key|no)$", re.IGNORECASE)


def _looks_like_id(name):
    """``ID``, ``customer_id``, ``Loan No``, ``CustomerID``: a name that says identifier."""
    name = str(name).strip()
    return bool(_ID_NAMES.search(name) or re.search(r"[a-z]ID$", name))


class Spill:
    """The rows of a file as float64 in a scratch binary file, written during
    the first pass so that later passes read numbers instead of parsing text
    again. Text columns are stored as codes of their levels (at most
    ``MAX_LEVELS + 1`` per column: more is refused anyway)."""

    def __init__(self, columns, kinds):
        import tempfile

        self.columns, self.kinds = list(columns), kinds
        self.levels = {c: {} for c in self.columns if kinds[c] == "text"}
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in close() / remove()
            prefix="sktransfer_diagnose_", suffix=".f64", delete=False)
        self.path, self.handle, self.n_rows = handle.name, handle, 0

    def write(self, chunk):
        block = np.empty((len(chunk), len(self.columns)))
        for j, c in enumerate(self.columns):
            if c in self.levels:
                levels = self.levels[c]
                for value in chunk[c].dropna().unique():
                    levels.setdefault(value, len(levels))
                block[:, j] = chunk[c].map(levels).to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                block[:, j] = chunk[c].to_numpy(dtype=np.float64)
        block.tofile(self.handle)
        self.n_rows += len(chunk)

    def close(self):
        self.handle.close()

    def chunks(self, kinds=None, columns=None, rows=1 << 18):
        import pandas as pd

        columns = list(columns or self.columns)
        where = [self.columns.index(c) for c in columns]
        names = {c: np.array(list(self.levels[c]), dtype=object) for c in columns if c in self.levels}
        width = len(self.columns)
        with open(self.path, "rb") as handle:
            while True:
                block = np.fromfile(handle, count=rows * width)
                if block.size == 0:
                    return
                block = block.reshape(-1, width)
                data = {}
                for c, j in zip(columns, where):
                    if c in names:
                        codes = block[:, j]
                        values = np.full(len(codes), None, dtype=object)
                        present = ~np.isnan(codes)
                        values[present] = names[c][codes[present].astype(np.int64)]
                        data[c] = values
                    else:
                        data[c] = block[:, j]
                yield pd.DataFrame(data, copy=False)

    def remove(self):
        import os

        self.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


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


def scan(table, kinds, columns, features, *, strata=None, sample_size, rng, progress=None,
         forbid_missing=None, spill=None):
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
    spill : list or None
        Columns written to a :class:`Spill` during the pass (``out.spill``;
        removed when the whole file is in the sample).
    forbid_missing : dict or None
        ``{column: what it is}``: columns that must have no missing value
        (the source's outcome, the target's period).
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
    out.spill = Spill(spill, kinds) if spill else None
    try:
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
            for column, what in (forbid_missing or {}).items():
                if chunk[column].isna().any():
                    row = int(np.flatnonzero(chunk[column].isna().to_numpy())[0])
                    raise CommandError(
                        f"the {what} column {quoted(column)} has a missing value in the {table.role} "
                        f"file (data row {start + row + 1}): every {table.role} row needs one"
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
            if out.spill is not None:
                out.spill.write(chunk[spill])
    except BaseException:
        if out.spill is not None:
            out.spill.remove()
        raise
    if out.spill is not None:
        out.spill.close()
    if out.n_rows == 0:
        raise CommandError(f"{table.role} file has a header but no rows: {escape(table.path)}")
    frame = pd.concat(pieces) if pieces else None
    keys, stratum = np.concatenate(kept_keys), np.concatenate(kept_strata)
    out.complete = out.n_rows <= sample_size
    if out.complete and out.spill is not None:
        out.spill.remove()
        out.spill = None
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


def _row_chunks_base():
    from .._chunks import RowChunks

    return RowChunks


class FileChunks(_row_chunks_base()):
    """The rows of the two files as the row chunks of the chunked drift
    statistics of ``drift_report`` (:class:`sktransfer._chunks.RowChunks`,
    whose ``map`` and ``reduce`` walk ``_tasks``): each pass reads a file's
    spilled numbers (or its rows in memory, when the whole file is in its
    sample). Group 0 is the source; the target rows are group 1, or ``1 + k``
    for the ``k``-th period.

    Parameters
    ----------
    pieces : list of (Spill or DataFrame, kinds, groups_of, columns)
        ``groups_of``: a function of a chunk giving each row's group.
    features : list
    kinds : dict
    counts : list of int
        Rows of each group.
    """

    def __init__(self, pieces, features, kinds, counts):
        import pandas as pd

        self.pieces, self.features, self.counts = pieces, list(features), np.asarray(counts)
        self.n_features = len(self.features)
        self.names = [str(c) for c in self.features]
        self.dtypes = [np.dtype(np.float64) if kinds[c] == "numeric" else pd.CategoricalDtype()
                       for c in self.features]
        self.is_dask = False
        self.chunk_size = 1 << 18
        self.progress = None
        self.passes = 0

    def _tasks(self):
        self.passes += 1
        offset = 0
        for source, kinds, groups_of, columns in self.pieces:
            frames = source.chunks(kinds, columns) if hasattr(source, "chunks") else _slices(source)
            for chunk in frames:
                yield chunk[self.features], groups_of(chunk), offset
                offset += len(chunk)
                if self.progress is not None:
                    self.progress.update(f"drift statistics, pass {self.passes}: {offset:,} rows")

    def group_counts(self, n_groups):
        return self.counts[:n_groups]


def _slices(frame, size=1 << 18):
    for start in range(0, len(frame), size):
        yield frame.iloc[start:start + size]


def _summaries(chunks, n_groups, sample_size, n_bins, eps, ks=True):
    from ..diagnostics._drift import (
        _categorical_summary,
        _exact_numeric,
        _streamed_numeric,
    )
    from ..diagnostics._streaming import streamed_columns

    columns = streamed_columns(chunks, n_groups, categorical="auto", n_bins=n_bins, sample_size=sample_size)
    out = []
    for name, column in zip(chunks.features, columns):
        if column["kind"] == "categorical":
            out.append(_categorical_summary(column["counts"], eps))
        elif "values" in column:
            out.append(_exact_numeric(column["values"], n_bins, eps, name, "diagnose", ks=ks))
        else:
            out.append(_streamed_numeric(column, eps, name, "diagnose"))
    return out


def drift_tables(chunks, period_chunks, periods, *, sample_size, n_bins=10, eps=1e-4):
    """The drift table (the columns of ``drift_report``) of the source rows
    against the target rows, and the PSI of each period (None without
    periods), from the chunked drift statistics of ``drift_report``."""
    import pandas as pd

    from ..diagnostics._drift import _psi_band

    rows = []
    for name, summary in zip(chunks.features, _summaries(chunks, 2, sample_size, n_bins, eps)):
        psi = summary["psi"][0]
        ks, pvalue, bound = summary["ks"][0]
        rows.append({
            "feature": name, "psi": psi, "band": _psi_band(psi), "ks_statistic": ks, "ks_pvalue": pvalue,
            "source_mean": summary["means"][0], "target_mean": summary["means"][1],
            "source_missing": float(summary["missing"][0]), "target_missing": float(summary["missing"][1]),
            "kind": summary["kind"], "ks_error_bound": bound,
        })
    report = pd.DataFrame(rows).set_index("feature").sort_values("psi", ascending=False, kind="stable")
    table = None
    if period_chunks is not None:
        summaries = _summaries(period_chunks, 1 + len(periods), sample_size, n_bins, eps, ks=False)
        table = pd.DataFrame.from_dict(
            {name: s["psi"] for name, s in zip(period_chunks.features, summaries)},
            orient="index", columns=list(periods),
        ).reindex(report.index)
    return report, table
