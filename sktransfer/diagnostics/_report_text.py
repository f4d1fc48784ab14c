"""Text pieces of the HTML report: escaping, number formats, readings, the page's CSS."""

import html
import numbers
from collections.abc import Mapping

import numpy as np

from ._drift import _psi_band
from ._plots import _BAND_COLOURS

DASH = "&ndash;"

# rule-of-thumb readings of the domain classifier's AUC (upper bound, level, meaning)
_AUC_READINGS = (
    (0.6, "low", "the two populations are hard to tell apart"),
    (0.7, "mild", "the populations differ a little"),
    (0.8, "clear", "the populations differ clearly"),
    (0.9, "strong", "the populations differ strongly; check the weights' effective rows"),
    (np.inf, "severe", ("the populations barely overlap; figures carried over from the source rest on "
                        "few comparable rows")),
)


def esc(value):
    """A string for HTML text or attributes: control and other non-printable
    characters (ANSI escapes, newlines, bidirectional overrides) written as
    Python escapes, then ``& < > " '`` escaped."""
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(value))
    return html.escape(text, quote=True)


def get(obj, name, default=None):
    """A field of a result: a key of a mapping (a Bunch, a dict) or an attribute."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _finite(value):
    return isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(value, bool) \
        and np.isfinite(value)


def fmt(value, digits=3):
    """A number with ``digits`` decimals; a dash for None and NaN."""
    if value is None:
        return DASH
    if not _finite(value):
        return DASH if isinstance(value, (numbers.Real, np.floating)) else esc(value)
    value = float(value)
    if round(value, digits) == 0:
        value = 0.0  # no "-0.000"
    return f"{value:,.{digits}f}" if digits == 0 else f"{value:.{digits}f}"


def fmt_mean(value):
    """A mean or level: thousands separators and no decimals from 1000 up, three below 100."""
    if value is None or not _finite(value):
        return DASH
    value = float(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return fmt(value, 1 if abs(value) >= 100 else 3)


def fmt_int(value):
    return DASH if value is None else f"{int(value):,}"


def fmt_p(value):
    """A p-value: four decimals, scientific notation below 1e-4."""
    if value is None or not _finite(value):
        return DASH
    value = float(value)
    if value == 0.0:
        return "&lt; 1e-300"
    return f"{value:.1e}" if value < 1e-4 else f"{value:.4f}"


def auc_reading(auc):
    """``(level, meaning)`` of a domain AUC."""
    for bound, level, meaning in _AUC_READINGS:
        if auc < bound:
            return level, meaning
    return _AUC_READINGS[-1][1:]  # pragma: no cover - the last bound is infinite


def trust_of(estimate):
    """``(trusted, note)``: True, False, or None when the estimate does not say."""
    flag = get(estimate, "trustworthy")
    note = get(estimate, "trust_note") or ""
    return (None if flag is None else bool(flag)), str(note)


_METHODS = {
    "importance_weighted": ("importance weighting",
                            "held-out source rows are reweighted toward the target population."),
    "confidence": ("confidence-based",
                   "the model's (calibrated) probabilities on the target rows give the expected score."),
    "combined": ("combined (importance weighting and confidence-based)",
                 "the reweighted source rows and the model's calibrated probabilities on the target rows "
                 "are combined."),
}


def method_text(method):
    """``(name, how it works)`` of an estimate's method."""
    if method is None:
        return _METHODS["importance_weighted"]
    return _METHODS.get(str(method), (esc(method), "see the method's documentation."))


def bar_cell(value, scale, colour):
    """A number and a bar of length ``value / scale``, in CSS only."""
    if not _finite(value):
        return DASH
    width = min(max(float(value), 0.0) / scale, 1.0) * 100
    return (f"<span class='num'>{float(value):.3f}</span><span class='bar'>"
            f"<b style='width:{width:.1f}%;background:{colour}'></b></span>")


def psi_cell(psi, scale):
    """A PSI as a number and a bar (marks at 0.1 and 0.25), in CSS only."""
    if not np.isfinite(psi):
        return DASH
    width = min(max(psi, 0.0) / scale, 1.0) * 100
    colour = _BAND_COLOURS.get(_psi_band(psi), "#888888")
    marks = "".join(f"<i style='left:{100 * b / scale:.1f}%'></i>" for b in (0.1, 0.25))
    return (f"<span class='num'>{psi:.3f}</span><span class='bar'>"
            f"<b style='width:{width:.1f}%;background:{colour}'></b>{marks}</span>")


PAGE_CSS = """
:root { --ink: #1a1a1a; --muted: #5a5a5a; --rule: #d0d0d0; --source: #1f4e79; --target: #c55a11; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 14px/1.45 -apple-system, "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 20px 28px 40px; }
header { border-bottom: 2px solid var(--ink); margin-bottom: 10px; }
h1 { font-size: 24px; margin: 0 0 2px; }
h2 { font-size: 18px; margin: 26px 0 6px; padding-bottom: 3px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 15px; margin: 14px 0 4px; }
nav { font-size: 12px; margin: 4px 0 8px; }
nav a { color: var(--source); text-decoration: none; }
.small, .lead { color: var(--muted); font-size: 12.5px; }
.lead { max-width: 860px; }
.missing { color: var(--muted); font-style: italic; border-left: 3px solid var(--rule); padding-left: 8px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 12px 0 4px; }
.card { border: 1px solid var(--rule); border-radius: 4px; padding: 8px 10px; break-inside: avoid; }
.card .k { font-size: 11.5px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.card .v { font-size: 24px; font-weight: 600; margin: 2px 0; font-variant-numeric: tabular-nums; }
.card .s { font-size: 12.5px; }
.card .d { font-size: 12px; color: var(--muted); }
.findings li { margin: 3px 0; }
code { font-family: "SFMono-Regular", Consolas, "Liberation Mono", monospace; font-size: 12.5px;
       overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 8px 0; font-size: 12.5px; }
th, td { border-bottom: 1px solid var(--rule); padding: 3px 8px; text-align: left; vertical-align: top; }
th { font-weight: 600; border-bottom: 1.5px solid var(--ink); }
td.num, td .num { text-align: right; font-variant-numeric: tabular-nums; }
td.name { max-width: 260px; overflow-wrap: break-word; }
table.drift { width: 100%; }
td.psi { white-space: nowrap; }
td.psi .num { display: inline-block; width: 3.6em; }
.bar { display: inline-block; position: relative; width: 110px; height: 10px; margin-left: 6px;
       background: #f0f0f0; vertical-align: middle; }
.bar b { position: absolute; left: 0; top: 0; bottom: 0; }
.bar i { position: absolute; top: -2px; bottom: -2px; border-left: 1px dotted #333; }
.band { font-size: 11.5px; padding: 0 5px; border-radius: 3px; border: 1px solid; }
.band.stable { color: #2f6a22; } .band.moderate { color: #8a6500; } .band.significant { color: #b52a2a; }
td.band-moderate { background: #fbefc4; } td.band-significant { background: #f4d0cc; }
.ok { color: #2f6a22; font-weight: 600; } .bad { color: #b52a2a; font-weight: 600; }
.na { color: var(--muted); font-weight: 600; }
figure { margin: 8px 0; break-inside: avoid; }
figure img { max-width: 100%; height: auto; display: block; }
section { margin-bottom: 8px; }
@page { size: A4; margin: 12mm; }
@media print {
  body { font-size: 11px; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; }
  table { font-size: 10px; }
  th, td { padding: 2px 4px; }
  .bar { width: 60px; }
  .card .v { font-size: 20px; }
  .lead, .small, .card .s, .card .d, code { font-size: 10px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
@media screen and (max-width: 760px) { .cards { grid-template-columns: repeat(2, 1fr); } }
"""
