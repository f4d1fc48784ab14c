"""Datasets: synthetic shift generators and loaders of the real benchmarks."""

from ._benchmarks import fetch_amazon_reviews, fetch_mnist_usps, fetch_office_caltech, get_data_home
from ._digit_cnns import fetch_digit_cnn
from ._synthetic import make_rotated_moons, make_shifted_blobs, make_shifted_digits

__all__ = [
    "fetch_amazon_reviews",
    "fetch_digit_cnn",
    "fetch_mnist_usps",
    "fetch_office_caltech",
    "get_data_home",
    "make_rotated_moons",
    "make_shifted_blobs",
    "make_shifted_digits",
]
