"""Stage lines on stderr, for the stages that can take more than a few seconds."""

import sys
import time


class Progress:
    """Prints ``[  12.3 s] stage: detail`` lines on ``stream``.

    On a terminal the row counts of a long read overwrite one line; elsewhere
    (a log file) only the stage lines are written. ``enabled=None`` means: on
    when ``stream`` is a terminal.
    """

    def __init__(self, enabled=None, stream=None):
        self.stream = stream or sys.stderr
        tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = tty if enabled is None else bool(enabled)
        self.tty = tty
        self.start = time.perf_counter()
        self._open_line = False

    def _stamp(self):
        return f"[{time.perf_counter() - self.start:7.1f} s]"

    def stage(self, text):
        if not self.enabled:
            return
        self._end_line()
        print(f"{self._stamp()} {text}", file=self.stream, flush=True)

    def update(self, text):
        """A running count: overwritten in place on a terminal, not written elsewhere."""
        if not (self.enabled and self.tty):
            return
        print(f"\r{self._stamp()} {text}", end="", file=self.stream, flush=True)
        self._open_line = True

    def _end_line(self):
        if self._open_line:
            print(file=self.stream, flush=True)
            self._open_line = False

    def done(self):
        if self.enabled:
            self._end_line()
            print(f"{self._stamp()} done", file=self.stream, flush=True)
