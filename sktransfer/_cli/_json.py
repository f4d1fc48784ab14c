"""The ``--json`` document of ``sktransfer diagnose``: schema ``sktransfer.diagnose/1``.

Version 1 holds (every number a JSON number, ``null`` where undefined)::

    {
      "schema": "sktransfer.diagnose/1",
      "sktransfer_version": "...",
      "inputs": {"source": FILE, "target": FILE},
          FILE = {"path", "separator", "rows", "sampled_rows", "sampled"}
      "outcome": {"column", "positive", "classes": [...], "source_counts": {label: n},
                  "target_labelled_rows"},
      "features": {"used": [...], "categorical": [...], "dropped": [...], "id": name or null,
                   "period": name or null},
      "drift": [{"feature", "psi", "band", "ks_statistic", "ks_pvalue", "source_mean",
                 "target_mean", "source_missing", "target_missing", "kind"}, ...],
      "drift_method": "exact" or "streaming",
      "drift_by_period": null or {"periods": [...], "psi": {feature: [psi per period]}},
      "domain_classifier": {"auc", "auc_std", "ranking": [...], "importances": {name: drop},
                            "features_used", "rows"},
      "models": [{"name", "source_auc", "estimated_target_auc", "ci_low", "ci_high",
                  "confidence", "method", "trustworthy", "trust_note", "target_auc",
                  "target_gini", "target_ks"}, ...],
      "weights": {"effective_sample_size", "rows"},
      "warnings": ["...", ...]
    }

New keys may be added within version 1; a key is never removed or changed in
meaning without a new version.
"""

import json
import math

import numpy as np

SCHEMA = "sktransfer.diagnose/1"


def _plain(value):
    """``value`` with numpy scalars as Python numbers and NaN / inf as None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def dumps(document):
    """The document as JSON text (control characters in names escaped by JSON itself)."""
    return json.dumps(_plain(document), indent=2, ensure_ascii=True, allow_nan=False)
