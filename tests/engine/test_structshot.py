"""StructShot on a tiny word-embedding encoder: where NNShot's token-wise argmax switches type
inside a mention, Viterbi over the transitions of the training types reads one mention."""

from __future__ import annotations

import pytest
import torch

from engine.config import parse_config
from engine.data.episodes import Episode
from engine.data.types import Sentence
from engine.metrics.ner import entity_report
from engine.models.backbones import load_tokenizer, resolve_backbone
from engine.strategies.meta.encoder import encode_set
from engine.strategies.meta.learner import EpisodeTensors, LearnerSetup
from engine.strategies.meta.methods import StructShotConfig
from engine.strategies.meta.structshot import StructShot
from engine.strategies.methods import get_method

# Training types' tag sequences: mentions run over several words; a type never changes
# inside one (Few-NERD's statistics look alike: "entity -> another type" is rare).
TRAIN_TAGS = [
    ["B-X", "I-X", "I-X", "O", "O"],
    ["O", "B-Y", "I-Y", "O"],
    ["O", "O", "B-X", "O", "B-Y", "I-Y"],
]


class WordVectors(torch.nn.Module):
    """A context-free encoder: each sub-token id has a fixed vector (the WordEncoder API)."""

    def __init__(self, vectors: dict[int, list[float]], dim: int = 4):
        super().__init__()
        self.table = torch.nn.Embedding(31000, dim)
        with torch.no_grad():
            self.table.weight.fill_(5.0)  # every other word far away from these
            for token_id, vector in vectors.items():
                self.table.weight[token_id] = torch.tensor(vector)

    def forward(self, input_ids, attention_mask, keep):
        return self.table(input_ids)[keep]


@pytest.fixture(scope="module")
def episode():
    tokenizer = load_tokenizer(resolve_backbone("tiny"))
    ids = {w: tokenizer(w, add_special_tokens=False)["input_ids"][0]
           for w in ("river", "apple", "stone", "the", "and")}  # fmt: skip
    # river, stone: type A; apple: type B, but close to the A words ("apple" inside an A name)
    encoder = WordVectors({
        ids["river"]: [1.0, 0.0, 0.0, 0.0], ids["stone"]: [1.0, 0.1, 0.0, 0.0],
        ids["apple"]: [1.0, 0.0, 0.2, 0.0],
        ids["the"]: [0.0, 1.0, 0.0, 1.0], ids["and"]: [0.0, 0.0, 1.0, 1.0],
    })  # fmt: skip
    support = [
        Sentence(("river", "stone", "the"), ("B-A", "I-A", "O")),
        Sentence(("apple", "and"), ("B-B", "O")),
    ]
    query = [Sentence(("the", "river", "apple", "stone", "and"), ("O", "B-A", "I-A", "I-A", "O"))]
    raw = Episode(("A", "B"), support, query)
    tensors = EpisodeTensors(
        raw.types,
        encode_set(support, raw.types, tokenizer, 32),
        encode_set(query, raw.types, tokenizer, 32),
    )
    return encoder, tensors


def predicted(learner, tensors: EpisodeTensors) -> tuple[list[int], list[list[str]]]:
    final = learner.adapt(tensors).final
    return final.tolist(), tensors.query.tags(final, tensors.types)


def switches(io_ids: list[int]) -> int:
    """Type changes with no O between (the IO form of an I-X right after B-Y)."""
    return sum(1 for a, b in zip(io_ids, io_ids[1:], strict=False) if a and b and a != b)


def test_viterbi_reads_one_mention_where_nnshot_switches_type(episode):
    encoder, tensors = episode
    setup = LearnerSetup(lr=1e-3, grad_clip=1.0, pad_id=0, train_tags=TRAIN_TAGS)
    nnshot = get_method("meta", "nnshot").load()(None, encoder, setup)
    structshot = get_method("meta", "structshot").load()(StructShotConfig(), encoder, setup)
    assert isinstance(structshot, StructShot) and structshot.tau == 0.32
    gold = [list(s.tags) for s in tensors.query.sentences]
    nn_ids, nn_tags = predicted(nnshot, tensors)
    assert nn_ids == [0, 1, 2, 1, 0] and switches(nn_ids) == 2  # A B A inside one mention
    assert nn_tags == [["O", "B-A", "B-B", "B-A", "O"]]
    ss_ids, ss_tags = predicted(structshot, tensors)
    assert ss_ids == [0, 1, 1, 1, 0] and switches(ss_ids) == 0
    assert ss_tags == gold
    assert entity_report(gold, nn_tags).f1 == 0.0 and entity_report(gold, ss_tags).f1 == 1.0


def test_never_seen_switches_stay_barred_at_any_tau_and_no_tags_mean_argmax(episode):
    encoder, tensors = episode
    flat = StructShot(encoder, 1e-3, tau=1e-4, train_tags=TRAIN_TAGS)
    assert flat.adapt(tensors).final.tolist() == [0, 1, 1, 1, 0]  # never-seen switch: 1e-6
    # no training tags to count transitions on (no meta-training data): NNShot's argmax
    assert StructShot(encoder, 1e-3).adapt(tensors).final.tolist() == [0, 1, 2, 1, 0]


def test_structshot_is_a_registered_meta_method_with_one_knob():
    cfg = parse_config(
        {"strategy": {"kind": "meta", "method": "structshot", "params": {"tau": 0.5}}}
    )
    assert cfg.strategy.params == StructShotConfig(tau=0.5) and cfg.strategy.meta_trained
    assert list(StructShotConfig.model_fields) == ["method", "tau"]
