"""Row chunks of large inputs: data in memory read a slice at a time, and
Dask arrays and DataFrames read partition by partition on their workers.

Shared by the streamed drift statistics (``diagnostics._streaming``) and the
alignment transformers that fit from sufficient statistics (CORAL,
DomainStandardScaler). Dask is never imported here unless the input is a
Dask collection (so it is imported already).
"""

import numbers
import sys

import numpy as np
import scipy.sparse as sp

#: Values (rows x features) per chunk read from data in memory.
_CHUNK_VALUES = 2**22


def _check_positive_int(value, name, minimum=1):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def is_dask_collection(data):
    """Whether ``data`` is a Dask array, DataFrame or Series (dask is not imported here)."""
    dask = sys.modules.get("dask")
    return dask is not None and dask.is_dask_collection(data)


def compute_rows(values):
    """A 1-D numpy array of per-row values (labels, domain ids, periods),
    computed if it is a Dask collection."""
    if is_dask_collection(values):
        values = values.compute()
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    return np.asarray(values)


def dask_shape(data):
    """``(n_rows, n_features)`` of a Dask array or DataFrame (the rows counted
    partition by partition when a DataFrame does not know them)."""
    if hasattr(data, "columns"):
        return int(sum(partition_lengths(data))), len(data.columns)
    if data.ndim == 1:
        return int(data.shape[0]), 1
    n_rows = data.shape[0]
    if not np.isfinite(n_rows):
        n_rows = int(sum(block_lengths(data)))
    return int(n_rows), int(data.shape[1])


def partition_lengths(frame):
    import dask

    return [int(n) for n in dask.compute(*[dask.delayed(len)(p) for p in frame.to_delayed()])]


def block_lengths(array):
    chunks = array.chunks[0]
    if all(np.isfinite(c) for c in chunks):
        return [int(c) for c in chunks]
    return [int(c) for c in array.compute_chunk_sizes().chunks[0]]


class RowChunks:
    """Row chunks of one or more inputs, with an integer group per row.

    Each piece is ``(data, groups)``: an array, sparse matrix, DataFrame,
    Dask array or Dask DataFrame of shape (n_rows, n_features) (a 1-D input
    is one feature) and the group (``0 .. n_groups - 1``) of each of its rows.
    ``map(func)`` calls ``func(chunk, groups_of_chunk)`` on every chunk, in
    row order: a loop for data in memory, ``dask.compute`` for Dask pieces.
    A chunk is a 2-D ndarray or a pandas DataFrame.
    """

    def __init__(self, pieces, chunk_size=None):
        self.pieces = []
        n_features = None
        for data, groups in pieces:
            if is_dask_collection(data):
                if getattr(data, "ndim", 2) == 1 and not hasattr(data, "columns"):
                    if hasattr(data, "to_frame"):  # a Dask Series
                        data = data.to_frame()
                    else:
                        data = data.reshape(-1, 1)
                width = len(data.columns) if hasattr(data, "columns") else data.shape[1]
            else:
                if not sp.issparse(data) and not hasattr(data, "iloc"):
                    data = np.asarray(data)
                    if data.ndim == 1:
                        data = data.reshape(-1, 1)
                elif hasattr(data, "iloc") and not hasattr(data, "columns"):
                    data = data.to_frame()
                width = data.shape[1]
            if n_features is not None and width != n_features:
                raise ValueError(
                    f"the inputs must have the same features: {n_features} and {width} column(s)."
                )
            n_features = width
            groups = np.asarray(groups)
            if groups.dtype.kind not in "iu":
                groups = groups.astype(np.int32)
            self.pieces.append((data, groups))
        self.n_features = n_features
        if chunk_size is None:
            chunk_size = max(1024, _CHUNK_VALUES // max(n_features, 1))
        self.chunk_size = _check_positive_int(chunk_size, "chunk_size")
        first = self.pieces[0][0]
        if hasattr(first, "columns"):
            self.names = [str(c) for c in first.columns]
            self.dtypes = [first.dtypes.iloc[j] for j in range(n_features)]
        else:
            self.names = None
            self.dtypes = [first.dtype] * n_features
        self.is_dask = any(is_dask_collection(data) for data, _ in self.pieces)

    def _tasks(self):
        """``(chunk or delayed chunk, groups, offset)`` of every chunk, in row
        order; ``offset`` is the position of its first row over all pieces."""
        offset = 0
        for data, groups in self.pieces:
            if is_dask_collection(data):
                if hasattr(data, "columns"):
                    parts = data.to_delayed()
                    lengths = partition_lengths(data)
                else:
                    data = data.rechunk({1: -1})
                    parts = list(data.to_delayed().ravel())
                    lengths = block_lengths(data)
                if sum(lengths) != groups.size:
                    raise ValueError(
                        f"the Dask input has {sum(lengths)} rows but {groups.size} domain ids were given."
                    )
                bounds = np.r_[0, np.cumsum(lengths)]
                for part, start, stop in zip(parts, bounds[:-1], bounds[1:]):
                    yield part, groups[start:stop], offset + int(start)
                offset += groups.size
                continue
            for start in range(0, data.shape[0], self.chunk_size):
                stop = start + self.chunk_size
                if hasattr(data, "iloc"):
                    chunk = data.iloc[start:stop]
                elif sp.issparse(data):
                    chunk = sp.csr_matrix(data[start:stop]).toarray()
                else:
                    chunk = data[start:stop]
                yield chunk, groups[start:stop], offset + start
            offset += groups.size

    def map(self, func, *args):
        """``[func(chunk, groups, offset, *args), ...]`` over the chunks, in row order."""
        if not self.is_dask:
            return [func(chunk, groups, offset, *args) for chunk, groups, offset in self._tasks()]
        import dask

        call = dask.delayed(func, pure=True)
        return list(dask.compute(*[call(chunk, groups, offset, *args)
                                   for chunk, groups, offset in self._tasks()]))

    def reduce(self, func, combine, *args):
        """``func`` over the chunks, the results folded with ``combine(left,
        right)`` in row order as they come (a loop for data in memory; a
        binary tree of tasks for Dask pieces, so that only the final result
        comes back), so that memory holds one chunk's result at a time, not
        one per chunk."""
        if not self.is_dask:
            total = None
            for chunk, groups, offset in self._tasks():
                result = func(chunk, groups, offset, *args)
                total = result if total is None else combine(total, result)
            return total
        import dask

        call, join = dask.delayed(func, pure=True), dask.delayed(combine, pure=True)
        level = [call(chunk, groups, offset, *args) for chunk, groups, offset in self._tasks()]
        while len(level) > 1:
            paired = [join(a, b) for a, b in zip(level[::2], level[1::2])]
            level = paired + ([level[-1]] if len(level) % 2 else [])
        return dask.compute(level[0])[0]

    def group_counts(self, n_groups):
        """Rows of each group ``0 .. n_groups - 1``."""
        counts = np.zeros(n_groups, dtype=np.int64)
        for _, groups in self.pieces:
            if n_groups <= 16:  # no int64 copy of the groups
                counts += [np.count_nonzero(groups == g) for g in range(n_groups)]
            else:
                counts += np.bincount(groups, minlength=n_groups)[:n_groups]
        return counts


def chunk_column(chunk, j):
    if hasattr(chunk, "iloc"):
        return chunk.iloc[:, j].to_numpy()
    return np.asarray(chunk)[:, j]

