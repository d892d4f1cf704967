"""Progress lines with an estimate of the time left, for logs read while a (cluster) job runs, and
progress bars for library calls made from a terminal or a notebook."""

from __future__ import annotations

import logging
import sys
import time

from tqdm.auto import tqdm

# Seconds a call runs before its progress bar appears, unless one was asked for: quick calls stay quiet
AUTO_DELAY = 2.0


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Logs ``done/total`` with elapsed time and ETA, at most every ``interval`` seconds.

    ``start`` counts work already done before this process (a resumed job), so the rate and the
    estimate only reflect work done now.
    """

    def __init__(self, total: float, what: str, log: logging.Logger, *, start: float = 0, interval: float = 5.0):
        self.total, self.what, self.log, self.interval = total, what, log, interval
        self.start_done = self.done = start
        self.t0 = self.last = time.monotonic()

    def update(self, done: float, extra: str = "") -> None:
        self.done = done
        now = time.monotonic()
        if now - self.last < self.interval and done < self.total:
            return
        self.last = now
        elapsed = now - self.t0
        rate = (done - self.start_done) / elapsed if elapsed > 0 else 0.0
        left = (self.total - done) / rate if rate > 0 else float("nan")
        eta = format_seconds(left) if left == left else "?"
        pct = 100.0 * done / self.total if self.total else 100.0
        suffix = f" | {extra}" if extra else ""
        self.log.info(
            f"{self.what}: {done:g}/{self.total:g} ({pct:.0f}%), {format_seconds(elapsed)} elapsed, ~{eta} left{suffix}"
        )


def interactive() -> bool:
    """Whether someone watches stderr: a terminal or a Jupyter kernel (not a job's log file)."""
    return sys.stderr.isatty() or "ipykernel" in sys.modules


def bar(total: float, what: str, show: bool | None, postfix: str = "") -> tqdm:
    """A tqdm bar on stderr of the share done of ``total`` (updates may be fractions), its time
    left and ``postfix``: ``show`` True at once, False never, None (the default of the library's
    ``progress=``) once the work has run AUTO_DELAY seconds, and only when :func:`interactive` (the
    workflow's jobs log :class:`Progress` lines instead)."""
    return tqdm(total=total, desc=what, postfix=postfix, file=sys.stderr, leave=True,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}{postfix}]",
                delay=0.0 if show else AUTO_DELAY, disable=show is False or (show is None and not interactive()))
