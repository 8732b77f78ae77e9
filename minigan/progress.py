"""A one-line progress bar with a rate, redrawn at most ten times a second on a terminal.

Off a terminal (CI logs, pipes) it draws nothing: the trainer's per-epoch lines are the log.
"""

import sys
import time


class Progress:
    def __init__(self, total, label, unit="step", stream=None, enabled=None):
        self.total, self.label, self.unit = total, label, unit
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.done = 0
        self.start = self.last_draw = time.perf_counter()

    def rate(self):
        elapsed = time.perf_counter() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def update(self, n=1, extra=""):
        self.done += n
        now = time.perf_counter()
        if self.enabled and (now - self.last_draw > 0.1 or self.done == self.total):
            self.last_draw = now
            self.draw(extra)

    def draw(self, extra=""):
        frac = self.done / self.total if self.total else 0.0
        bar = "#" * int(24 * frac)
        rate = f"{self.rate():,.1f} {self.unit}/s"
        count = f"{self.done}/{self.total}" if self.total else f"{self.done}"
        self.stream.write(f"\r{self.label} [{bar:<24}] {count} {rate} {extra}".rstrip() + " ")
        self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
