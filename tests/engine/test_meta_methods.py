"""Meta methods on hand-made inputs: ProtoNet / NNShot on separable embeddings, the first-order
MAML and Reptile updates against a hand computation, episode scores and their CI."""

from __future__ import annotations

import pytest
import torch
from torch.func import functional_call

from engine.data.types import Sentence
from engine.strategies.meta.encoder import encode_set, io_label_ids, io_to_tags
from engine.strategies.meta.evaluate import MetaScores, mean_ci95, t_quantile_975
from engine.strategies.meta.learner import EpisodeTensors, curve_steps
from engine.strategies.meta.maml import first_order_meta_grads, prototype_head, sgd_adapt
from engine.strategies.meta.nnshot import NNShot
from engine.strategies.meta.projection import kept_tokens, pca_2d, prototype_map
from engine.strategies.meta.protonet import ProtoNet, prototype_logits
from tests.engine.word_tokenizer import WordTokenizer

# ---- a toy world: words whose first letter says their class ------------------------------


class ToyEncoder(torch.nn.Module):
    """Vectors by class: 'a...' words near (10, 0), 'b...' near (0, 10), others near (0, 0)."""

    def __init__(self, tokenizer: WordTokenizer):
        super().__init__()
        self.tokenizer = tokenizer

    def forward(self, input_ids, attention_mask, keep):
        words = {i: w for w, i in self.tokenizer.vocab.items()}
        rows = []
        for i in input_ids[keep].tolist():
            word = words.get(i, "")
            centre = {"a": (10.0, 0.0), "b": (0.0, 10.0)}.get(word[:1], (0.0, 0.0))
            wobble = (len(word) % 3) * 0.1  # not all identical: a real mean, a real nearest
            rows.append([centre[0] + wobble, centre[1] - wobble])
        return torch.tensor(rows)


def toy_episode(tok: WordTokenizer) -> tuple[EpisodeTensors, list[list[str]]]:
    def sent(text: str, tags: str) -> Sentence:
        return Sentence(tuple(text.split()), tuple(tags.split()))

    support = [sent("the amber ale is here", "O B-A I-A O O"), sent("bob saw it", "B-B O O")]
    query = [
        sent("the ant met bea or bo", "O B-A O B-B O B-B"),
        sent("so apple ale", "O B-A I-A"),
    ]
    types = ("A", "B")
    tensors = EpisodeTensors(
        types, encode_set(support, types, tok, 64), encode_set(query, types, tok, 64)
    )
    return tensors, [list(s.tags) for s in query]


@pytest.mark.parametrize("learner", [ProtoNet, NNShot])
def test_metric_learners_are_perfect_on_separable_embeddings(learner):
    tok = WordTokenizer()
    episode, gold = toy_episode(tok)
    method = learner(ToyEncoder(tok), lr=1e-3)
    adapted = method.adapt(episode)
    predicted = episode.query.tags(adapted.final, episode.types)
    assert predicted == gold
    scores = MetaScores()
    scores.add(0, episode.types, gold, [predicted], [0])
    assert scores.summary()["f1_mean"] == 1.0 and scores.summary()["f1_micro"] == 1.0


def test_prototype_logits_are_minus_squared_distances_to_class_means():
    support = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0]])
    targets = torch.tensor([0, 0, 1])
    query = torch.tensor([[1.0, 1.0]])
    logits = prototype_logits(query, support, targets, n_classes=3)
    assert logits[0, :2].tolist() == pytest.approx([-1.0, -10.0])  # means (1, 0) and (0, 4)
    assert logits[0, 2] < -1e3  # class 2 has no support token: never chosen


def test_prototype_head_scores_like_protonet_up_to_a_constant():
    support = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0]])
    targets = torch.tensor([0, 0, 1])
    query = torch.tensor([[1.0, 1.0], [3.0, -2.0]])
    head = prototype_head(support, targets, 2)
    linear = query @ head["head.weight"].T + head["head.bias"]
    proto = prototype_logits(query, support, targets, 2)
    shift = linear - proto  # = |q|^2 per row
    assert torch.allclose(shift, (query * query).sum(1, keepdim=True).expand_as(shift))


# ---- first-order MAML and Reptile against a hand computation -----------------------------


class Line(torch.nn.Module):
    """f(x) = w x + b: two parameters, gradients easy to write down."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(1.0))
        self.b = torch.nn.Parameter(torch.tensor(0.5))

    def forward(self, x):
        return self.w * x + self.b


def mse(model):
    def loss(params, batch):
        x, y = batch
        return ((functional_call(model, params, (x,)) - y) ** 2).mean()

    return loss


def test_first_order_maml_update_equals_the_hand_computation():
    model = Line()
    params = dict(model.named_parameters())
    support = (torch.tensor(2.0), torch.tensor(1.0))
    query = (torch.tensor(-1.0), torch.tensor(0.0))
    grads, loss = first_order_meta_grads(params, mse(model), support, query, lr=0.1, steps=1)
    # support residual r = 1*2 + 0.5 - 1 = 1.5: w' = 1 - 0.1*2*r*2 = 0.4, b' = 0.5 - 0.1*2*r = 0.2
    # query residual r' = 0.4*(-1) + 0.2 - 0 = -0.2: dL/dw' = 2 r' x = 0.4, dL/db' = 2 r' = -0.4
    assert grads["w"].item() == pytest.approx(0.4)
    assert grads["b"].item() == pytest.approx(-0.4)
    assert loss == pytest.approx(0.04)
    # second-order MAML would chain through the inner step: 0.4 * 0.2 + (-0.4) * (-0.4) = 0.24
    assert grads["w"].item() != pytest.approx(0.24)
    assert model.w.item() == 1.0 and model.b.item() == 0.5  # the module itself never moved


def test_two_inner_steps_and_the_reptile_direction_match_by_hand():
    model = Line()
    params = dict(model.named_parameters())
    support = (torch.tensor(2.0), torch.tensor(1.0))
    seen = []
    fast, losses = sgd_adapt(params, mse(model), support, 0.1, 2, lambda s, p: seen.append(s))
    # step 1 -> (0.4, 0.2); residual 0.4*2 + 0.2 - 1 = 0: step 2 stays put
    assert (fast["w"].item(), fast["b"].item()) == pytest.approx((0.4, 0.2))
    assert losses == pytest.approx([2.25, 0.0]) and seen == [1, 2]
    reptile = {k: (params[k].detach() - fast[k]).item() for k in params}  # theta - theta'
    assert reptile == pytest.approx({"w": 0.6, "b": 0.3})


# ---- scores, curves, encoding ------------------------------------------------------------


def test_mean_and_95_percent_interval_over_episodes():
    assert mean_ci95([0.2, 0.4, 0.6]) == pytest.approx((0.4, 4.303 * 0.2 / 3**0.5))
    assert mean_ci95([0.5]) == (0.5, None)
    assert t_quantile_975(1) == 12.706 and t_quantile_975(11) == 2.228
    assert t_quantile_975(500) == 1.96


def test_adaptation_curve_averages_each_step_over_episodes():
    scores = MetaScores()
    gold = [["B-A", "O"]]
    scores.add(0, ["A"], gold, [[["O", "O"]], [["B-A", "O"]]], [0, 1])
    scores.add(1, ["A"], gold, [[["B-A", "O"]], [["B-A", "O"]]], [0, 1])
    curve = scores.curve()
    assert curve["steps"] == [0, 1] and curve["f1_mean"] == [0.5, 1.0]
    assert curve_steps(4) == [0, 1, 2, 3, 4]
    long = curve_steps(100)
    assert long[0] == 0 and long[-1] == 100 and len(long) <= 13


def test_io_ids_and_tags():
    assert io_label_ids(["A", "B"]) == {"O": 0, "B-A": 1, "I-A": 1, "B-B": 2, "I-B": 2}
    assert io_to_tags([0, 1, 1, 2, 0, 2], ["A", "B"]) == ["O", "B-A", "I-A", "B-B", "O", "B-B"]


def test_prototype_map_projects_tokens_and_prototypes_together():
    coords, explained = pca_2d(torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]).numpy())
    assert explained == pytest.approx([1.0, 0.0], abs=1e-6)
    assert kept_tokens([0, 0, 0, 1, 0, 2], limit=3) == [0, 3, 5]
    query = torch.randn(6, 4)
    payload = prototype_map(
        query, torch.tensor([0, 1, 0, 2, 0, 1]), torch.tensor([0, 1, 1, 2, 0, 0]),
        list("abcdef"), torch.randn(5, 4), torch.tensor([0, 0, 1, 2, 2]), ["X", "Y"],
    )  # fmt: skip
    assert payload["types"] == ["O", "X", "Y"]
    assert len(payload["query"]["x"]) == 6 and payload["prototypes"]["label"] == [0, 1, 2]
    assert payload["query"]["word"] == list("abcdef")
