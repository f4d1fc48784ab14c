"""The documentation builds offline with no warning (``sphinx-build -W``),
gallery included: every ``examples/plot_*.py`` runs inside sphinx-gallery."""

import importlib
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, SHARED_DATA

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")
pytest.importorskip("sphinx_gallery")
pytest.importorskip("matplotlib")


def _untracked_outputs():
    """Files under docs/ and examples/ that git does not track (build outputs, saved figures)."""
    listing = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "--", "docs", "examples"],
        cwd=REPO, capture_output=True, text=True,
    )
    if listing.returncode != 0:  # not a git checkout (an sdist): nothing to compare
        return None
    return {line[3:] for line in listing.stdout.splitlines() if line[:2] in ("??", "!!")}


def test_docs_build_without_warnings(tmp_path):
    # the API reference documents sktransfer.deep and sktransfer.features, whose
    # modules import torch and skorch: without them autodoc cannot read those pages
    pytest.importorskip("torch")
    pytest.importorskip("skorch")
    # the build runs on a copy of docs/ and examples/: autosummary, sphinx-gallery and
    # the examples' saved figures write next to their sources, and a build must leave
    # the checkout as it found it (and a first build on a fresh clone must not depend
    # on outputs an earlier build left there)
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("_build", "generated", "auto_examples", "sg_execution_times.rst",
                                    "*.png", "__pycache__")
    shutil.copytree(REPO / "docs", src / "docs", ignore=shutil.ignore_patterns(
        "_build", "generated", "auto_examples", "sg_execution_times.rst", "__pycache__"))
    shutil.copytree(REPO / "examples", src / "examples", ignore=ignore)
    before = _untracked_outputs()
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("SKTRANSFER_DATA_HOME", str(SHARED_DATA))
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(src / "docs"), str(tmp_path / "html")],
        cwd=src, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    html = tmp_path / "html"
    assert (html / "api.html").exists()
    # one page per public name of the API reference, and a gallery page per example
    assert len(list((html / "generated").glob("sktransfer.*.html"))) >= 40
    examples = sorted(p.stem for p in (REPO / "examples").glob("plot_*.py"))
    for name in examples:
        assert (html / "auto_examples" / f"{name}.html").exists(), name
    if before is not None:
        created = _untracked_outputs() - before
        assert not created, f"the docs build wrote into the checkout: {sorted(created)}"


def _api_reference_names():
    """The dotted names listed under the ``.. autosummary::`` directives of docs/api.rst."""
    names, in_autosummary = [], False
    for line in (REPO / "docs" / "api.rst").read_text(encoding="utf-8").splitlines():
        if line.startswith(".. autosummary::"):
            in_autosummary = True
        elif in_autosummary and line.strip() and not line.startswith(" "):
            in_autosummary = False  # the directive's body ends at the next unindented line
        elif in_autosummary and re.fullmatch(r"   [A-Za-z_][\w.]*", line):
            names.append(line.strip())
    return names


# subpackages with optional dependencies: their entries are skipped where those are missing
_OPTIONAL_SUBPACKAGES = {"deep": ("torch", "skorch"), "features": ("torch",)}

_EXAMPLES_SECTION = re.compile(r"^Examples\n-{3,}\n(.*?)(?=^\w[\w ]*\n-{3,}\n|\Z)", re.M | re.S)


def _resolve(name):
    obj = importlib.import_module("sktransfer")
    for depth, part in enumerate(name.split("."), start=1):
        if not hasattr(obj, part):  # a subpackage that `import sktransfer` does not import
            importlib.import_module("sktransfer." + ".".join(name.split(".")[:depth]))
        obj = getattr(obj, part)
    return obj


def test_every_api_name_has_a_runnable_example():
    names = _api_reference_names()
    assert len(names) >= 40, names
    missing, skipped = [], []
    for name in names:
        needs = _OPTIONAL_SUBPACKAGES.get(name.split(".")[0], ())
        if any(importlib.util.find_spec(module) is None for module in needs):
            skipped.append(name)
            continue
        doc = inspect.cleandoc(_resolve(name).__doc__ or "")
        section = _EXAMPLES_SECTION.search(doc)
        if section is None or ">>>" not in section.group(1):
            missing.append(name)
    assert not missing, (
        f"{len(missing)} public name(s) of docs/api.rst lack a numpydoc Examples section "
        f"with a doctest (>>>): {', '.join(missing)}"
    )
    if skipped:
        pytest.skip(f"optional dependencies missing, not checked: {', '.join(skipped)}")


_PUBLIC_MODULES = ("sktransfer", "sktransfer.alignment", "sktransfer.reweighting", "sktransfer.parameter",
                   "sktransfer.deep", "sktransfer.features", "sktransfer.model_selection",
                   "sktransfer.metrics", "sktransfer.diagnostics", "sktransfer.datasets", "sktransfer.label_shift")


def test_every_public_class_and_function_is_in_the_api_reference():
    listed = {name.split(".")[-1] for name in _api_reference_names()}
    missing, skipped = [], []
    for module_name in _PUBLIC_MODULES:
        needs = _OPTIONAL_SUBPACKAGES.get(module_name.split(".")[-1], ())
        if any(importlib.util.find_spec(module) is None for module in needs):
            skipped.append(module_name)
            continue
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if (inspect.isclass(obj) or callable(obj)) and name not in listed:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"public names missing from docs/api.rst: {', '.join(missing)}"
    if skipped:
        pytest.skip(f"optional dependencies missing, not checked: {', '.join(skipped)}")
