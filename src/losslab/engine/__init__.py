"""The vectorized engine: many replicates x losses of one small MLP, trained in lockstep."""

from .evaluate import evaluate, flatten, predict, unflatten
from .history import History
from .network import Network
from .optimizers import SGD, Adam, make_optimizer
from .trainer import ENGINE_METRICS, Member, Replicate, train

__all__ = ["ENGINE_METRICS", "Adam", "History", "Member", "Network", "Replicate", "SGD", "evaluate", "flatten",
           "make_optimizer", "predict", "train", "unflatten"]
