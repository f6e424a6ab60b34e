"""What the engine trains (engine/members.py): the class an output layer predicts."""

import torch

from losslab import losses
from losslab.engine import Member
from losslab.engine.members import ENGINE_METRICS, predicted_class


def _member(loss, activation):
    return Member(losses.get(loss), activation, torch.zeros(3).numpy())


def test_one_sigmoid_unit_is_cut_at_one_half_and_scores_at_zero():
    out = torch.tensor([[[0.2], [0.5], [0.7]]])
    assert predicted_class(out, _member("bce", "sigmoid")).tolist() == [[False, False, True]]
    scores = torch.tensor([[[-0.3], [0.0], [0.4]]])
    assert predicted_class(scores, _member("hinge", "tanh")).tolist() == [[False, False, True]]
    assert predicted_class(scores, _member("mse", "linear")).tolist() == [[False, False, True]]


def test_one_sigmoid_unit_of_a_loss_on_logits_is_cut_at_zero():
    logits_loss = losses.get("bce").with_params(from_logits=True)
    assert logits_loss.takes_logits
    out = torch.tensor([[[0.2], [-0.1]]])
    assert predicted_class(out, Member(logits_loss, "linear", torch.zeros(2).numpy())).tolist() == [[True, False]]


def test_several_units_predict_the_largest():
    out = torch.tensor([[[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]]])
    assert predicted_class(out, _member("cce", "softmax")).tolist() == [[1, 0]]


def test_member_label_and_the_recorded_metrics():
    assert _member("mse", "linear").label == "mean_squared_error"
    assert Member(losses.get("mse"), "linear", torch.zeros(3).numpy(), name="mine").label == "mine"
    assert ENGINE_METRICS == ("accuracy", "mse", "rmse", "mae")
