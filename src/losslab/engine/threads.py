"""One way to run a block of torch work with a given number of intra-op threads."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """torch's intra-op threads set to ``threads`` inside the block, restored after it
    (``None``: leave them as they are). For layers this small a second thread only pays
    from a few hundred replicates on, so callers choose (docs/architecture.md, the engine)."""
    import torch  # here, so that importing losslab.landscapes stays NumPy-only

    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)
