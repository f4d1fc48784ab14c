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
# sktransfer.features and the modules of the pretrained digit CNNs need torch only
collect_ignore_glob += [] if _importable("torch") else [
    "sktransfer/features/*", "sktransfer/datasets/_digit_cnn_modules.py"]
