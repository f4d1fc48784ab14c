"""Input checks that sklearn's ``validate_data`` does not make.

sklearn refuses NaN and inf; it accepts any finite magnitude. The methods of
this package square feature values (covariances, kernels, distances), which
overflows float64 beyond about 1e154 and loses every digit below about 1e-154;
networks compute in float32, which overflows beyond about 3e38 and whose batch
statistics overflow much earlier. Rather than return zeros, NaN or a constant,
every entry point checks the magnitude of its input once and names it.
"""

import numpy as np
import scipy.sparse as sp

__all__ = ["check_magnitude", "MAX_MAGNITUDE", "MIN_MAGNITUDE"]

# float64 methods: squares of 1e100 (1e200) and sums over many rows of them stay finite
MAX_MAGNITUDE = 1e100
MIN_MAGNITUDE = 1e-100
# float32 networks: batch norm squares activations (1e15 ** 2 = 1e30 < 3e38)
MAX_MAGNITUDE_FLOAT32 = 1e15
MIN_MAGNITUDE_FLOAT32 = 1e-15


def _largest_magnitude(X):
    values = X.data if sp.issparse(X) else X
    values = np.asarray(values)
    if values.size == 0 or values.dtype.kind not in "fiuc":
        return 0.0
    finite = np.abs(values[np.isfinite(values)]) if values.dtype.kind in "fc" else np.abs(values)
    return float(finite.max()) if finite.size else 0.0


def check_magnitude(X, *, who=None, name="X", float32=False):
    """Raise a ValueError naming the magnitude when ``X`` is out of the supported range.

    The range is ``[1e-100, 1e100]`` for the largest absolute value of ``X``
    (``[1e-15, 1e15]`` for the float32 networks, ``float32=True``). A matrix of
    zeros is accepted: its magnitude is no problem, only its information.

    Parameters
    ----------
    X : ndarray or sparse matrix
        Validated numeric input.
    who : str, default=None
        The estimator or function, named in the message.
    name : str, default="X"
        The argument, named in the message.
    float32 : bool, default=False
        Use the float32 range of the networks.

    Returns
    -------
    X : the input, unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer._validation import check_magnitude
    >>> check_magnitude(np.ones((2, 2))).shape
    (2, 2)
    >>> check_magnitude(np.full((2, 2), 1e200), who="CORAL")
    Traceback (most recent call last):
    ...
    ValueError: CORAL: X holds values of magnitude up to 1e+200, beyond the supported range of 1e-100 to 1e+100 ...
    """
    largest = _largest_magnitude(X)
    high, low = (MAX_MAGNITUDE_FLOAT32, MIN_MAGNITUDE_FLOAT32) if float32 else (MAX_MAGNITUDE, MIN_MAGNITUDE)
    prefix = f"{who}: " if who else ""
    why = (
        "the networks compute in float32, whose squares overflow beyond that"
        if float32
        else "covariances, kernels and distances square the values, which overflows float64 beyond that"
    )
    if largest > high:
        raise ValueError(
            f"{prefix}{name} holds values of magnitude up to {largest:.0e}, beyond the supported "
            f"range of {low:.0e} to {high:.0e} in absolute value ({why}). Divide {name} by a "
            "constant (e.g. its largest absolute value) or take a log transform first."
        )
    if 0.0 < largest < low:
        raise ValueError(
            f"{prefix}{name} holds values of magnitude at most {largest:.0e}, below the supported "
            f"range of {low:.0e} to {high:.0e} in absolute value (squares of such values underflow "
            f"to zero and the data would read as constant). Multiply {name} by a constant "
            "(e.g. one over its largest absolute value) first."
        )
    return X
