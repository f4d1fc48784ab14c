"""One-line user errors and the escaping of names read from the user's files."""

import numbers

import numpy as np


class CommandError(Exception):
    """A problem with the user's files or arguments, reported as one line without a traceback."""


def escape(name):
    """``name`` as text safe to print: control characters (ANSI escapes,
    newlines, tabs, ...) are written as Python escapes (``\\x1b``, ``\\n``).

    >>> escape("income\\x1b[31m\\n")
    'income\\\\x1b[31m\\\\n'
    """
    text = str(name)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def quoted(name):
    """``'name'``, escaped."""
    return "'" + escape(name).replace("'", "\\'") + "'"


def names(columns, limit=10):
    """A comma-separated list of escaped names, at most ``limit`` of them."""
    columns = list(columns)
    shown = ", ".join(escape(c) for c in columns[:limit])
    if len(columns) > limit:
        shown += f", ... ({len(columns) - limit} more)"
    return shown


def label_text(value):
    """An outcome label as the user wrote it: ``1`` not ``1.0``, text as is."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        return str(int(value)) if value.is_integer() else repr(value)
    return escape(value)
