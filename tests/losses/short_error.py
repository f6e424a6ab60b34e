"""A refusal of loss text is one short line (shared by the parser's and the sweeps' tests)."""

from __future__ import annotations

import pytest


def assert_short_error(call, match) -> str:
    """``call()`` raises a ValueError matching ``match`` in one line of under 300 characters; its text."""
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert len(str(err.value)) < 300 and "\n" not in str(err.value)
    return str(err.value)
