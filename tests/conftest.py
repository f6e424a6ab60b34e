import os

# Keras reads its backend once, at import: the conformance tests run Keras 3 on torch.
os.environ.setdefault("KERAS_BACKEND", "torch")
# Headless figures.
os.environ.setdefault("MPLBACKEND", "Agg")
