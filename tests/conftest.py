import os

# Keras reads its backend once, at import: the conformance tests run Keras 3 on torch.
os.environ.setdefault("KERAS_BACKEND", "torch")
# Headless figures.
os.environ.setdefault("MPLBACKEND", "Agg")

import torch  # noqa: E402

# `make test` runs two pytest workers on two cores: one torch thread each, or the
# workers' OpenMP pools fight over the cores and small matrix products run 30x slower.
torch.set_num_threads(1)
