"""A study run in a child process and SIGKILLed once it reaches a point (shared by the store's
and the checkpoints' kill tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable


def run_and_kill(code: str, ready: Callable[[], bool], what: str, *, wait_after: float = 0.0,
                 deadline_seconds: float = 120) -> None:
    """Run ``code`` in a fresh Python, wait until ``ready()`` (the store shows ``what``), wait
    ``wait_after`` seconds more, then SIGKILL it; fails if it ends first or never gets there."""
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + deadline_seconds
        while not ready():
            assert child.poll() is None, f"the study ended before it was killed: {child.stderr.read().decode()[-2000:]}"
            assert time.monotonic() < deadline, f"no {what} within {deadline_seconds:.0f} s"
            time.sleep(0.02)
        time.sleep(wait_after)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stderr.close()
