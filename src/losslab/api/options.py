"""The API's argument checks: each refusal names the Python argument, says what was expected
and what came (:class:`OptionError`; the command line names its flag instead).

One job: checking the numeric and device arguments of the entry points before anything loads.
Imports nothing of losslab (torch only to ask for a device).
"""

from __future__ import annotations

import numpy as np


class OptionError(ValueError):
    """A bad value for one of the API's arguments: the message names the Python argument;
    the command line names its flag instead (:meth:`for_flag`)."""

    def __init__(self, argument: str, expected: str, value, hint: str = "") -> None:
        self.argument, self.expected, self.value, self.hint = argument, expected, value, hint
        super().__init__(f"expected {argument} to be {expected}. Received: {argument}={value!r}.{' ' + hint if hint else ''}")

    def for_flag(self, flag: str) -> str:
        return f"expected {flag} to be {self.expected}. Received: {flag} {self.value}.{' ' + self.hint if self.hint else ''}"


# Hard caps: beyond them a study is a typo, not a plan (100,000 epochs of one small MLP is
# hours per trial; 10,000 repeats gives a confidence interval 18x narrower than 30 do).
MAX_EPOCHS = 100_000


MAX_REPEATS = 10_000


def check_options(**options) -> None:
    """Refuse non-finite, non-positive or absurd numeric options by name, before anything loads."""
    import math

    def integer(name, low, high=None, *, none=False):
        value = options[name]
        if value is None and none:
            return
        ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low and (high is None or value <= high)
        if not ok:
            bound = f"an integer >= {low}" + (f" and <= {high:,}" if high is not None else "")
            raise OptionError(name, bound, value)

    def real(name, low, high=None, *, low_open=True, high_open=True, none=False, value=None):
        value = options[name] if value is None else value
        if value is None and none:
            return
        ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and math.isfinite(value)
        ok = ok and (value > low if low_open else value >= low) and (high is None or (value < high if high_open else value <= high))
        if not ok:
            bound = f"a finite number {'>' if low_open else '>='} {low:g}" + (f" and {'<' if high_open else '<='} {high:g}" if high is not None else "")
            raise OptionError(name, bound, value)

    # None: the protocol's default (see compare).
    integer("repeats", 1, MAX_REPEATS)
    integer("epochs", 1, MAX_EPOCHS, none=True)
    integer("batch_size", 1, none=True)
    integer("patience", 0, none=True)
    integer("seed", 0)
    integer("max_retries", 0)
    lr = options["lr"]
    if lr is not None and not isinstance(lr, (int, float, np.integer, np.floating)):
        # a grid of learning rates for the tuned protocol: each a finite number > 0
        rates = list(lr) if isinstance(lr, (list, tuple, np.ndarray)) else None
        if not rates:
            raise OptionError("lr", "a finite number > 0, or a non-empty list of them", lr)
        for rate in rates:
            real("lr", 0, value=rate)
    else:
        real("lr", 0, none=True)
    real("momentum", 0, 1, low_open=False)
    real("test_size", 0, 1)
    real("validation_split", 0, 0.5, none=True)
    if "weight_decay" in options:
        real("weight_decay", 0, low_open=False, none=True)
    real("cpus_per_task", 0)
    real("gpus_per_task", 0, low_open=False)
    hidden = options["hidden"]
    if isinstance(hidden, (int, np.integer)) or not all(isinstance(h, (int, np.integer)) and not isinstance(h, bool) and h >= 1 for h in hidden) or not len(hidden):
        raise OptionError("hidden", "positive layer widths, e.g. (64, 32)", hidden)


def check_device(device: str | None) -> None:
    """Refuse a device torch cannot train on here, before a study folder is made for it."""
    if device is None:
        return
    import torch

    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError):
        raise OptionError("device", "cpu or cuda (or cuda:N)", device) from None
    if kind not in ("cpu", "cuda"):
        raise OptionError("device", "cpu or cuda (or cuda:N)", device)
    if kind == "cuda" and not torch.cuda.is_available():
        raise OptionError("device", "cpu, or cuda on a machine with a CUDA GPU", device,
                          "torch sees no CUDA GPU here (torch.cuda.is_available() is False): use cpu, "
                          "or install a CUDA build of torch.")

