"""Reading the user's delimited text files: separator sniffing, the header,
and chunks of rows as DataFrames (with pyarrow's CSV reader when pyarrow is
installed, else pandas' ``read_csv`` in chunks), so that no file is held in
memory whole."""

import bz2
import csv
import gzip
import io
import lzma
import re
from pathlib import Path

from ._text import CommandError, escape, names, quoted

#: separators tried when --sep is not given, in order of preference
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SEP_WORDS = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}
_SNIFF_BYTES = 1 << 16
#: bytes per block read (at least 64 of the longest first lines); the tests lower it
CHUNK_BYTES = 8 << 20  # larger blocks read no faster and hold more memory (pyarrow reads ahead)
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def parse_sep(text):
    """The separator character of ``--sep``: one character, or a name
    (``comma``, ``semicolon``, ``tab`` or ``\\t``, ``pipe``)."""
    if text is None:
        return None
    sep = _SEP_WORDS.get(text.lower(), text)
    if len(sep) != 1 or sep in "\r\n\"'" or sep.isalnum() or sep == ".":
        raise CommandError(
            f"--sep must be one character (or comma, semicolon, tab, pipe), not a letter, digit, "
            f"dot, quote or newline; got {quoted(text)}"
        )
    return sep


def sep_name(sep):
    return SEPARATORS.get(sep, repr(sep))


def _open_text(path):
    opener = _OPENERS.get(path.suffix.lower())
    if opener is not None:
        return opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="")
    return open(path, encoding="utf-8-sig", errors="replace", newline="")


def _head(path, role):
    """The first lines of the file (up to 64 KiB), decompressed."""
    try:
        with _open_text(path) as handle:
            text = handle.read(_SNIFF_BYTES)
            while text.count("\n") < 2 and len(text) < 64 * _SNIFF_BYTES:  # a long header
                more = handle.read(_SNIFF_BYTES)
                if not more:
                    break
                text += more
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise CommandError(f"the {role} file cannot be read ({escape(path)}): {escape(exc)}") from None
    return text


def _records(text, sep, limit=50):
    """The first records of ``text`` (a quoted field may hold a newline)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    records = []
    try:
        for row in reader:
            if row:
                records.append(row)
            if len(records) >= limit:
                break
    except csv.Error:
        pass
    return records


def sniff(text):
    """The candidate separator that splits the first records into the same
    number (> 1) of fields on every record, the most fields first; None when
    none does."""
    best, best_fields = None, 1
    for sep in SEPARATORS:
        counts = {len(row) for row in _records(text, sep)}
        if len(counts) == 1:
            fields = counts.pop()
            if fields > best_fields:
                best, best_fields = sep, fields
    return best


class TableFile:
    """A delimited text file: its separator, its header, and its rows in chunks.

    Parameters
    ----------
    path : str
    role : {"source", "target"}
        Named in every message.
    sep : str or None
        None: sniffed from the first lines.
    """

    def __init__(self, path, role, sep=None, chunk_bytes=None):
        self.path, self.role = Path(path), role
        if not self.path.is_file():
            raise CommandError(f"{role} file not found: {escape(self.path)}")
        if self.path.stat().st_size == 0:
            raise CommandError(f"{role} file is empty: {escape(self.path)}")
        head = _head(self.path, role)
        lines = head.splitlines()
        if head and len(head) % _SNIFF_BYTES == 0 and len(lines) > 1:
            lines = lines[:-1]  # the last line may be cut
        lines = [line for line in lines if line.strip()][:50]
        if not lines:
            raise CommandError(f"{role} file is empty: {escape(self.path)}")
        text = "\n".join(lines) + "\n"
        self.sniffed = sep is None
        self.sep = sep or sniff(text) or ","
        reader = csv.reader(io.StringIO(head, newline=""), delimiter=self.sep)
        header = next(reader)
        # physical lines of the header: a quoted name may hold a newline
        self.header_lines = reader.line_num
        self.columns = [c.strip() for c in header]
        if any(c == "" for c in self.columns):
            raise CommandError(
                f"the {role} file's header has an empty column name (column "
                f"{self.columns.index('') + 1}): name every column"
            )
        seen, duplicates = set(), []
        for c in self.columns:
            if c in seen:
                duplicates.append(c)
            seen.add(c)
        if duplicates:
            raise CommandError(f"the {role} file's header names a column twice: {names(duplicates)}")
        # a block must hold whole rows: room for many of the longest line seen
        longest = max(len(line) for line in lines)
        # wide rows: blocks of a few thousand rows (up to 128 MiB), not a few dozen
        wide = min(4096 * longest, 128 << 20) if longest > 1024 else 0
        self.chunk_bytes = max(chunk_bytes or CHUNK_BYTES, wide, 64 * longest)

    def describe_sep(self):
        how = "detected" if self.sniffed else "given"
        return f"{sep_name(self.sep)} ({how})"

    def _fail(self, exc):
        """A CommandError from a reader's exception."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        match = re.search(r"In CSV column #(\d+): CSV conversion error to (\w+): invalid value '(.*)'", text)
        if match:
            column = self.columns[int(match.group(1))] if int(match.group(1)) < len(self.columns) else "?"
            return CommandError(
                f"column {quoted(column)} of the {self.role} file holds numbers in its first rows and "
                f"the text {quoted(match.group(3))} further down: make it all numbers, or drop it with "
                f"--drop {escape(column)}"
            )
        if "UTF8" in text or "utf-8" in text.lower():
            return CommandError(f"the {self.role} file is not UTF-8 text ({escape(self.path)}): {escape(text)}")
        return CommandError(
            f"the {self.role} file is not a readable table with the {sep_name(self.sep)} separator "
            f"({escape(self.path)}): {escape(text)}; pass --sep if the separator is another one"
        )

    # -- kinds of the columns, from the first block ----------------------------------------

    def first_kinds(self):
        """``{column: "numeric" | "text" | "empty"}`` as read in the first
        block, and an example value of each text column."""
        # a small first block: the kinds of the columns, quickly (a later text value in a
        # column of numbers is still caught, as a one-line error, when the rows are read)
        frame = next(self._frames(kinds=None, block=min(1 << 20, self.chunk_bytes)), None)
        if frame is None or len(frame) == 0:
            raise CommandError(f"{self.role} file has a header but no rows: {escape(self.path)}")
        import pandas as pd

        empty = frame.isna().all().to_dict()
        kinds, examples = {}, {}
        for c, dtype in frame.dtypes.items():
            if empty[c]:
                kinds[c] = "empty"
            elif dtype.kind in "iuf":
                kinds[c] = "numeric"
            else:
                kinds[c] = "text"
                present = frame[c].dropna()
                words = present[pd.to_numeric(present, errors="coerce").isna().to_numpy()]
                examples[c] = (words if len(words) else present).iloc[0]
        return kinds, examples

    def chunks(self, kinds, columns):
        """DataFrames of ``columns``: numeric columns as float64, text columns as text."""
        return self._frames(kinds, columns)

    def _frames(self, kinds, columns=None, block=None):
        try:
            import pyarrow.csv  # noqa: F401
        except ImportError:
            yield from self._pandas_frames(kinds, columns, block)
        else:
            yield from self._arrow_frames(kinds, columns, block)

    def _arrow_frames(self, kinds, columns, block):
        import pyarrow as pa
        import pyarrow.csv as pc

        convert = {"strings_can_be_null": True}
        if columns is not None:
            convert["include_columns"] = list(columns)
        if kinds is not None:
            convert["column_types"] = {
                c: pa.float64() if kinds[c] == "numeric" else pa.string() for c in (columns or self.columns)
            }
        else:  # inference: dates and booleans stay text
            convert["timestamp_parsers"] = []
            convert["true_values"], convert["false_values"] = [], []
        try:
            reader = pc.open_csv(
                str(self.path),
                read_options=pc.ReadOptions(block_size=block or self.chunk_bytes, column_names=self.columns,
                                            skip_rows=self.header_lines),
                parse_options=pc.ParseOptions(delimiter=self.sep, newlines_in_values=False),
                convert_options=pc.ConvertOptions(**convert),
            )
            for batch in reader:
                yield batch.to_pandas()
        except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, EOFError) as exc:
            raise self._fail(exc) from None

    def _pandas_frames(self, kinds, columns, block):
        import pandas as pd

        dtype = None
        if kinds is not None:
            dtype = {c: "float64" if kinds[c] == "numeric" else object for c in (columns or self.columns)}
        rows = max(1000, (block or self.chunk_bytes) // 200)
        try:
            reader = pd.read_csv(
                self.path, sep=self.sep, header=0, names=self.columns, usecols=columns, dtype=dtype,
                chunksize=rows, low_memory=False,
            )
            yield from reader
        except (pd.errors.ParserError, ValueError, UnicodeDecodeError, OSError, EOFError) as exc:
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if kinds is not None and ("convert" in text or "parse" in text):
                raise CommandError(
                    f"a column of the {self.role} file that holds numbers in its first rows holds "
                    f"text further down ({escape(text)}): make it all numbers, or drop it with --drop"
                ) from None
            raise self._fail(exc) from None
