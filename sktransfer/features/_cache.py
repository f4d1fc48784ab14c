"""On-disk cache of extracted features, keyed by model and input.

One ``.npy`` file per (model, extraction settings, input) key. A file is
written to a temporary name in the same directory, flushed to disk, then
renamed: an interrupted run leaves at most a ``*.tmp`` file, never a
truncated ``.npy`` that a later run would read.
"""

import os
import tempfile
from pathlib import Path

import numpy as np


class FeatureCache:
    """A directory of feature matrices named by their key.

    Parameters
    ----------
    directory : str or path-like
        Created on first write.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from sktransfer.features import FeatureCache
    >>> cache = FeatureCache(tempfile.mkdtemp())
    >>> cache.load("abc") is None
    True
    >>> _ = cache.save("abc", np.ones((2, 3), dtype=np.float32))
    >>> cache.load("abc").shape
    (2, 3)
    """

    def __init__(self, directory):
        self.directory = Path(directory).expanduser()

    def path_for(self, key):
        return self.directory / f"{key}.npy"

    def load(self, key):
        """The cached features of ``key``, or None when absent or unreadable."""
        path = self.path_for(key)
        try:
            return np.load(path, allow_pickle=False)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, EOFError):  # damaged by hand or by a full disk: recompute
            return None

    def save(self, key, features):
        """Write ``features`` under ``key`` atomically."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(key)
        handle = tempfile.NamedTemporaryFile(dir=self.directory, prefix=f".{key}.", suffix=".tmp", delete=False)
        try:
            with handle:
                np.save(handle, np.ascontiguousarray(features), allow_pickle=False)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(handle.name, path)
        except BaseException:
            try:
                os.unlink(handle.name)
            except OSError:
                pass
            raise
        return path
