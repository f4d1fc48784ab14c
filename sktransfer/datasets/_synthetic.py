"""Synthetic domain-shift generators, built only from what numpy, scipy and
scikit-learn ship (no download).

Every generator returns ``Xs, ys, Xt, yt``: labelled source rows and target
rows with their true labels. ``yt`` is there for evaluation only; pass the
arrays to :func:`sktransfer.stack_domains`, which masks it.

- :func:`make_shifted_digits`: the 8x8 digits of
  :func:`sklearn.datasets.load_digits`, half as source and the other half
  through an image-acquisition shift (motion blur, defocus, thicker pen,
  faded ink on grey paper, inverted colours, a mix).
- :func:`make_shifted_blobs`: Gaussian classes whose target is a linear
  map of the source (a stretch along random axes, or a rotation) plus a
  translation: a tabular covariate shift with a known cause.
- :func:`make_rotated_moons`: the two moons of
  :func:`sklearn.datasets.make_moons`, the target rotated about its centre
  (the classic toy problem of deep domain adaptation papers).
"""

from numbers import Integral, Real

import numpy as np
from scipy import ndimage
from sklearn.datasets import load_digits, make_moons
from sklearn.utils import check_random_state

__all__ = ["DIGITS_SHIFTS", "MAX_DIGITS_SEVERITY", "make_shifted_digits", "make_shifted_blobs", "make_rotated_moons"]

#: The shifts of :func:`make_shifted_digits`, with what each one models.
DIGITS_SHIFTS = {
    "motion_blur": "horizontal camera shake: Gaussian blur along rows, sigma 1.5 px",
    "blur": "defocus: isotropic Gaussian blur, sigma 1 px",
    "thicken": "a broader pen: strokes dilated by one pixel (3x3 cross)",
    "contrast": "faded ink on grey, unevenly lit paper: lower contrast, "
                "brighter background, a left-to-right illumination gradient",
    "invert": "inverted colours: light strokes on a dark background",
    "mix": "motion_blur, then contrast",
    "none": "no shift: the control, both halves drawn from one distribution",
}

_BLOB_SHIFTS = ("stretch", "rotation", "none")

_MAX_PIXEL = 16.0  # load_digits pixels are integers in [0, 16]
#: Largest ``severity`` of :func:`make_shifted_digits` (a blur of 15 pixels
#: already erases an 8x8 image; larger ones only cost time).
MAX_DIGITS_SEVERITY = 10.0


def _check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}."
        )


def _check_real(name, value, *, low, high=None, low_inclusive=False, high_inclusive=False):
    if not isinstance(value, Real) or isinstance(value, bool) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    too_low = value < low if low_inclusive else value <= low
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high:
        bound = f">= {low}" if low_inclusive else f"> {low}"
        if high is not None:
            bound += f" and <= {high}" if high_inclusive else f" and < {high}"
        raise ValueError(f"{name} must be {bound}, got {value!r}.")
    return float(value)


def _check_int(name, value, *, low):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)


def _apply_digit_shift(images, shift, severity):
    """Map an (n, 8, 8) stack of digit images through one named shift."""
    if shift == "none":
        return images.copy()
    if shift == "motion_blur":
        # blur along axis 2 (the rows of each image) only; pixels outside the
        # 8x8 frame are black paper (0)
        return ndimage.gaussian_filter(images, sigma=(0, 0, 1.5 * severity), mode="constant")
    if shift == "blur":
        return ndimage.gaussian_filter(images, sigma=(0, severity, severity), mode="constant")
    if shift == "thicken":
        cross = np.zeros((1, 3, 3), dtype=bool)
        cross[0, 1, :] = cross[0, :, 1] = True
        dilated = ndimage.grey_dilation(images, footprint=cross, mode="constant", cval=0.0)
        return np.clip(images + severity * (dilated - images), 0.0, _MAX_PIXEL)
    if shift == "contrast":
        contrast = 1.0 / (1.0 + severity)  # severity 1: half the ink contrast
        background = 0.25 * _MAX_PIXEL * min(severity, 2.0)  # grey paper
        light = np.linspace(1.0 - 0.3 * min(severity, 2.0) / 2, 1.0, 8)  # darker on the left
        return (background + contrast * images) * light[np.newaxis, np.newaxis, :]
    if shift == "invert":
        return _MAX_PIXEL - images
    if shift == "mix":
        blurred = _apply_digit_shift(images, "motion_blur", severity)
        return _apply_digit_shift(blurred, "contrast", severity)
    raise AssertionError(shift)  # pragma: no cover - checked by the caller


def make_shifted_digits(shift="motion_blur", *, severity=1.0, target_size=0.5,
                        return_images=False, random_state=0):
    """Handwritten digits, with the target half seen through a domain shift.

    The 1797 8x8 images of :func:`sklearn.datasets.load_digits` are shuffled
    and split, stratified by class, into a source part and a target part. The
    source images are kept as they are; the target images go through the
    named ``shift``, which models a change of acquisition (camera, pen,
    paper, scanner). The two parts hold different images, so the target is
    not a transformed copy of the source rows.

    Parameters
    ----------
    shift : str, default="motion_blur"
        One of the keys of :data:`DIGITS_SHIFTS`:

        - ``"motion_blur"``: horizontal camera shake, a Gaussian blur along
          the rows with ``sigma = 1.5 * severity`` pixels;
        - ``"blur"``: defocus, an isotropic Gaussian blur with
          ``sigma = severity`` pixels;
        - ``"thicken"``: a broader pen, strokes grey-dilated with a 3x3 cross
          (``severity`` blends between the original, 0, and the dilated
          image, 1; above 1 it extrapolates, clipped to [0, 16]);
        - ``"contrast"``: faded ink on grey, unevenly lit paper, the ink
          contrast divided by ``1 + severity``, a background of
          ``4 * min(severity, 2)`` and a left-to-right illumination gradient.
          Per-pixel affine, so per-domain standardisation removes it;
        - ``"invert"``: light strokes on a dark background,
          ``16 - pixel`` (``severity`` is not used). A sign flip, which no
          method that aligns means and covariances can undo;
        - ``"mix"``: ``"motion_blur"``, then ``"contrast"``;
        - ``"none"``: no shift, the control case.
    severity : float, default=1.0
        Strength of the shift, in (0, 10]; 1 is the documented default of
        each shift.
    target_size : float, default=0.5
        Fraction of the images in the target part, in (0, 1).
    return_images : bool, default=False
        Return arrays of shape (n, 8, 8) instead of rows of 64 pixels.
    random_state : int, RandomState instance or None, default=0
        Seed of the source/target split.

    Returns
    -------
    Xs : ndarray of shape (n_source, 64) or (n_source, 8, 8)
        Source images, pixels in [0, 16], float64.
    ys : ndarray of int of shape (n_source,)
        Source labels, digits 0 to 9.
    Xt : ndarray of shape (n_target, 64) or (n_target, 8, 8)
        Target images after the shift, float64.
    yt : ndarray of int of shape (n_target,)
        True target labels, for evaluation only.

    See Also
    --------
    sktransfer.stack_domains : stack the four arrays, masking ``yt``.

    Examples
    --------
    >>> from sktransfer.datasets._synthetic import make_shifted_digits
    >>> Xs, ys, Xt, yt = make_shifted_digits("motion_blur", random_state=0)
    >>> Xs.shape, Xt.shape
    ((899, 64), (898, 64))
    >>> sorted(set(ys)) == sorted(set(yt)) == list(range(10))
    True
    >>> bool(Xt.max() < Xs.max())  # blurring spreads the ink
    True
    """
    _check_choice("shift", shift, tuple(DIGITS_SHIFTS))
    severity = _check_real("severity", severity, low=0.0, high=MAX_DIGITS_SEVERITY,
                           high_inclusive=True)
    target_size = _check_real("target_size", target_size, low=0.0, high=1.0)
    if not isinstance(return_images, (bool, np.bool_)):
        raise ValueError(f"return_images must be True or False, got {return_images!r}.")
    rng = check_random_state(random_state)

    digits = load_digits()
    images, labels = digits.images.astype(np.float64), digits.target.astype(np.int64)
    # stratified split: each class is shuffled and cut at the same fraction
    source_idx, target_idx = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_target = int(round(target_size * members.size))
        if n_target == 0 or n_target == members.size:
            raise ValueError(
                f"target_size={target_size} leaves class {label} with no source or no "
                "target image; use a value closer to 0.5."
            )
        target_idx.append(members[:n_target])
        source_idx.append(members[n_target:])
    source_idx = rng.permutation(np.concatenate(source_idx))
    target_idx = rng.permutation(np.concatenate(target_idx))

    Xs = images[source_idx]
    Xt = _apply_digit_shift(images[target_idx], shift, severity)
    if not return_images:
        Xs = Xs.reshape(Xs.shape[0], -1)
        Xt = Xt.reshape(Xt.shape[0], -1)
    return Xs, labels[source_idx], Xt, labels[target_idx]


def _random_rotation(n_features, rng):
    """A uniformly random rotation (orthogonal, determinant +1)."""
    q, r = np.linalg.qr(rng.standard_normal((n_features, n_features)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def make_shifted_blobs(n_samples=500, *, n_features=2, n_classes=2, shift="stretch",
                       severity=1.0, cluster_std=1.0, random_state=0):
    """Gaussian classes whose target is a linear map of the source plus a translation.

    Class centres are drawn once; source and target rows are drawn
    independently from the same isotropic Gaussian classes, and the target
    rows are then mapped with ``x -> (x - m) @ A + m + b``, where ``m`` is
    the mean of the class centres and ``b`` a random translation of length
    ``2 * severity * cluster_std``:

    - ``"stretch"``: ``A`` is symmetric positive definite, stretching by
      ``exp(severity)`` and shrinking by ``exp(-severity)`` along random
      orthogonal axes (a change of units and correlations). Standardising
      each domain undoes part of it, aligning the covariances (CORAL)
      a little more;
    - ``"rotation"``: ``A`` rotates one random plane by ``60 * severity``
      degrees. It changes the covariance only through the layout of the
      class centres, so covariance alignment can undo little of it: a hard
      case;
    - ``"none"``: ``A`` is the identity and ``b`` is zero, the control.

    Parameters
    ----------
    n_samples : int, default=500
        Number of rows in each domain (so ``2 * n_samples`` in all).
    n_features : int, default=2
        Number of features, >= 2.
    n_classes : int, default=2
        Number of classes, >= 2; rows are split as evenly as possible.
    shift : {"stretch", "rotation", "none"}, default="stretch"
        The kind of linear map, see above.
    severity : float, default=1.0
        Strength of the shift, > 0.
    cluster_std : float, default=1.0
        Standard deviation of each class around its centre, > 0.
    random_state : int, RandomState instance or None, default=0
        Seed of the centres, the map and the rows.

    Returns
    -------
    Xs : ndarray of shape (n_samples, n_features)
    ys : ndarray of int of shape (n_samples,)
    Xt : ndarray of shape (n_samples, n_features)
    yt : ndarray of int of shape (n_samples,)
        True target labels, for evaluation only.

    Examples
    --------
    >>> from sktransfer.datasets._synthetic import make_shifted_blobs
    >>> Xs, ys, Xt, yt = make_shifted_blobs(100, n_features=3, random_state=0)
    >>> Xs.shape, ys.shape, Xt.shape, yt.shape
    ((100, 3), (100,), (100, 3), (100,))
    """
    n_samples = _check_int("n_samples", n_samples, low=2)
    n_features = _check_int("n_features", n_features, low=2)
    n_classes = _check_int("n_classes", n_classes, low=2)
    if n_classes > n_samples:
        raise ValueError(f"n_classes={n_classes} is more than n_samples={n_samples}.")
    _check_choice("shift", shift, _BLOB_SHIFTS)
    severity = _check_real("severity", severity, low=0.0)
    cluster_std = _check_real("cluster_std", cluster_std, low=0.0)
    rng = check_random_state(random_state)

    # centres on a sphere of radius 2.5 std: the classes overlap a little
    centres = rng.standard_normal((n_classes, n_features))
    centres *= 2.5 * cluster_std / np.linalg.norm(centres, axis=1, keepdims=True)
    centre = centres.mean(axis=0)

    def draw():
        y = np.arange(n_samples) % n_classes
        y = y[rng.permutation(n_samples)]
        return centres[y] + cluster_std * rng.standard_normal((n_samples, n_features)), y

    Xs, ys = draw()
    Xt, yt = draw()
    if shift == "none":
        return Xs, ys, Xt, yt
    if shift == "stretch":
        axes = _random_rotation(n_features, rng)
        scales = np.exp(np.linspace(severity, -severity, n_features))
        A = (axes * scales) @ axes.T
    else:
        angle = np.deg2rad(60.0 * severity)
        plane = _random_rotation(n_features, rng)[:, :2]
        # rotate in one random plane, leave its orthogonal complement alone
        rot2 = np.array([[np.cos(angle) - 1.0, -np.sin(angle)],
                         [np.sin(angle), np.cos(angle) - 1.0]])
        A = np.eye(n_features) + plane @ rot2 @ plane.T
    direction = rng.standard_normal(n_features)
    b = 2.0 * severity * cluster_std * direction / np.linalg.norm(direction)
    Xt = (Xt - centre) @ A + centre + b
    return Xs, ys, Xt, yt


def make_rotated_moons(n_samples=500, *, angle=30.0, noise=0.1, random_state=0):
    """Two interleaved moons; the target moons are rotated about their centre.

    Parameters
    ----------
    n_samples : int, default=500
        Number of rows in each domain.
    angle : float, default=30.0
        Rotation of the target, in degrees (counter-clockwise), in [-180, 180].
    noise : float, default=0.1
        Standard deviation of the Gaussian noise of
        :func:`sklearn.datasets.make_moons`, >= 0.
    random_state : int, RandomState instance or None, default=0
        Seed of the rows.

    Returns
    -------
    Xs : ndarray of shape (n_samples, 2)
    ys : ndarray of int of shape (n_samples,)
    Xt : ndarray of shape (n_samples, 2)
    yt : ndarray of int of shape (n_samples,)
        True target labels, for evaluation only.

    Examples
    --------
    >>> from sktransfer.datasets._synthetic import make_rotated_moons
    >>> Xs, ys, Xt, yt = make_rotated_moons(200, angle=45, random_state=0)
    >>> Xs.shape, Xt.shape
    ((200, 2), (200, 2))
    """
    n_samples = _check_int("n_samples", n_samples, low=2)
    if (not isinstance(angle, Real) or isinstance(angle, bool) or not np.isfinite(angle)
            or not -180.0 <= angle <= 180.0):
        raise ValueError(f"angle must be a number of degrees in [-180, 180], got {angle!r}.")
    noise = _check_real("noise", noise, low=0.0, low_inclusive=True)
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=2)
    Xs, ys = make_moons(n_samples, noise=noise, random_state=seeds[0])
    Xt, yt = make_moons(n_samples, noise=noise, random_state=seeds[1])
    theta = np.deg2rad(angle)
    rotation = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
    centre = np.array([0.5, 0.25])  # the centre of the two moons
    Xt = (Xt - centre) @ rotation + centre
    return Xs, ys.astype(np.int64), Xt, yt.astype(np.int64)
