"""Label shift: the class prior moves between the domains, ``p(x | y)`` stays.

Estimate the target class prior without target labels (EM on calibrated
probabilities, BBSE, classify and count) and move a source classifier's
probabilities to it.
"""

from ._adjust import LabelShiftAdjustedClassifier
from ._calibration import TemperatureScaling
from ._estimation import LabelShiftWarning, PriorEstimate, adjust_proba, estimate_target_prior

__all__ = [
    "LabelShiftAdjustedClassifier",
    "LabelShiftWarning",
    "PriorEstimate",
    "TemperatureScaling",
    "adjust_proba",
    "estimate_target_prior",
]
