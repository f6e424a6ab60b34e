"""Tests for losslab.engine.threads: torch's thread count inside the block, restored after it."""

from __future__ import annotations

import pytest
import torch

from losslab.engine.threads import torch_threads


def test_threads_are_set_inside_and_restored_after_even_on_error():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), torch_threads(1):
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before


def test_none_leaves_the_thread_count_alone():
    before = torch.get_num_threads()
    with torch_threads(None):
        assert torch.get_num_threads() == before
