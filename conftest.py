"""Repository-level pytest configuration."""

import importlib.util


def _importable(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


# sktransfer.deep needs the optional torch and skorch: without them its modules
# cannot be imported, so their doctests are not collected (tests/ skips by itself)
collect_ignore_glob = [] if all(map(_importable, ("torch", "skorch"))) else ["sktransfer/deep/*"]
# sktransfer.features needs torch only
collect_ignore_glob += [] if _importable("torch") else ["sktransfer/features/*"]
