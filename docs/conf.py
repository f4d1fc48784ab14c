"""Sphinx configuration of the sktransfer documentation.

Build offline, warnings as errors: ``sphinx-build -W -b html docs docs/_build/html``.
The gallery runs every ``examples/plot_*.py``; set ``SKTRANSFER_DATA_HOME`` to
the benchmark data so that the examples on real data have something to show.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

import sktransfer  # noqa: E402

project = "sktransfer"
author = "the sktransfer developers"
copyright = "2026, the sktransfer developers"
release = version = sktransfer.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

# offline: no intersphinx, mathjax from its CDN only when a page is viewed
autosummary_generate = True
# sklearn's generated set_*_request methods and inherited score docstrings
# point into sklearn's own docs: they are documented there
autodoc_default_options = {
    "members": True,
    # members our base classes give (fit, transform...), not sklearn's
    "inherited-members": ",".join([
        "BaseEstimator", "TransformerMixin", "ClassifierMixin", "RegressorMixin",
        "MetaEstimatorMixin", "Pipeline", "_SetOutputMixin", "_MetadataRequester",
        "OneToOneFeatureMixin", "ClassNamePrefixFeaturesOutMixin", "Exception", "UserWarning",
        # torch's and skorch's bases are documented by them
        "Module", "Function", "Dataset", "Sampler", "NeuralNet", "NeuralNetClassifier",
        "NeuralNetRegressor", "Callback", "FunctionCtx", "_SingleLevelFunction", "_HookMixin",
    ]),
    "exclude-members": ",".join(
        f"set_{method}_request"
        for method in ("fit", "partial_fit", "transform", "inverse_transform", "predict", "predict_proba",
                       "predict_log_proba", "decision_function", "score", "split")
    ),
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# a method without a docstring of its own (GradientReversal.forward) must not
# show torch's, which points into torch's docs
autodoc_inherit_docstrings = False
templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip",
                    "auto_examples/*.md5", "auto_examples/*.json"]
html_theme = "alabaster"
html_static_path = []
html_title = f"sktransfer {release}"

sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "show_memory": False,
    # run each example from a scratch folder so that files it saves stay out of the tree
    "reset_modules": ("matplotlib",),
}
os.environ.setdefault("MPLBACKEND", "Agg")
