"""Alignment transformers: map source and target rows into a shared space."""

from ._coral import CORAL

__all__ = ["CORAL"]
