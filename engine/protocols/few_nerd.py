"""Few-NERD's N-way K~2K-shot episode protocol: INTRA / INTER on Few-NERD, or any dataset pair.

Read from thunlp/Few-NERD: `util/fewshotsampler.py` (`FewshotSampler`), `util/data_loader.py`
(`Sample.valid`, `__count_entities__`, the released-episode reader), `util/framework.py`
(`eval`: micro-F1 pooled over all test episodes), `train_demo.py` and `README.md`.

The published sampler: draw N types; the candidates are the sentences that mention at least
one of them and *no other type*; draw candidates at random and keep one when it mentions a type
still under K and keeps every type at most 2K, until every type has K; the query set is drawn
the same way (Q for K) from the candidates not in the support. Mentions are counted on IO
labels, so two adjacent mentions of one type count once.

`engine.data.episodes.greedy_pick` is that greedy rule (drawing with rejection until done is
walking a random order, since a sentence once refused stays refused), so `FewNerdSampler` is an
`EpisodeSampler` that overrides only its candidates, its query order and its relabelling.
What `engine.data.episodes.EpisodeSampler` does differently, and `FewNerdSampler` does not
with `candidates="episode-only"` (the published rule):
- EpisodeSampler takes every sentence mentioning an episode type and turns the others into O;
  Few-NERD drops such sentences. On Few-NERD the published rule applies; on corpora that
  mention many types per sentence (CrossNER) it leaves too few candidates, so a dataset pair
  uses `candidates="any"`, which is EpisodeSampler itself;
- EpisodeSampler's query walks the rest of the support's order; here it walks a fresh order;
- Few-NERD retries forever; both lab samplers give up after ATTEMPTS draws of types.
IOB2 mention counts (`mention_counts`) equal Few-NERD's IO counts on Few-NERD files read by
`engine.data.fewnerd` (which merges adjacent same-type labels into one mention).

Settings (README): INTER splits the fine types within each coarse type across train/dev/test,
INTRA splits by coarse type. Released episodes: `{train,dev,test}_{N}_{K}.jsonl`, 20,000 /
1,000 / 5,000 episodes. Defaults from the README's StructShot commands: lr 1e-4, 10,000
training iterations, 500 validation and 5,000 test episodes, validation every 1,000; episodes
per batch / max length / tau: 5-way 1~2 shot 8 / 64 / 0.32, 5-way 5~10 shot 1 / 32 / 0.318,
10-way 1~2 shot 4 / 64 / 0.32, 10-way 5~10 shot 1 / 32 / 0.434 (an earlier README gave lr
1e-3, batch 2, max length 60).

    protocol = few_nerd_protocol(5, 1, "inter")            # "few-nerd-inter-5way-1shot"
    sampler = FewNerdSampler(sentences, types, n_way=5, k_shot=1, seed=0)
    episode = sampler.episode(0)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.data.episodes import Episode, EpisodeSampler
from engine.data.types import Sentence

FEW_NERD = "Ding et al. 2021, Few-NERD (ACL-IJCNLP); code: github.com/thunlp/Few-NERD"
Candidates = Literal["episode-only", "any"]

# README commands: (N, K) -> (episodes per batch, max length, tau)
_README = {
    (5, 1): (8, 64, 0.32),
    (5, 5): (1, 32, 0.318),
    (10, 1): (4, 64, 0.32),
    (10, 5): (1, 32, 0.434),
}


class FewShotProtocol(BaseModel):
    """A named, versioned few-shot setting and the budget its published rows were trained with."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: int = 1
    family: str = "few-shot"
    setting: str = Field(description="intra, inter (Few-NERD) or 'TRAIN -> TEST' for a pair")
    n_way: int = Field(ge=1)
    k_shot: int = Field(ge=1)
    query_shot: int = Field(ge=1)
    candidates: Candidates = "episode-only"
    source: str = FEW_NERD
    backbone: str = "bert-base-uncased"
    train_iterations: int = 10_000
    episodes_per_batch: int = 8
    lr: float = 1e-4
    max_length: int = 64
    dev_episodes: int = 500
    test_episodes: int = 5_000
    tau: float = 0.32  # StructShot's transition temperature
    metric: str = "micro-F1 pooled over all test query sets"

    def episode_file(self, split: Literal["train", "dev", "test"]) -> str:
        """The released episode file's name for this setting, e.g. test_5_1.jsonl."""
        return f"{split}_{self.n_way}_{self.k_shot}.jsonl"


def _budget(n_way: int, k_shot: int) -> dict[str, int | float]:
    batch, length, tau = _README.get((n_way, k_shot), _README[(5, 1)])
    return {"episodes_per_batch": batch, "max_length": length, "tau": tau}


def few_nerd_protocol(
    n_way: int, k_shot: int, setting: Literal["intra", "inter"]
) -> FewShotProtocol:
    return FewShotProtocol(
        name=f"few-nerd-{setting}-{n_way}way-{k_shot}shot",
        setting=setting,
        n_way=n_way,
        k_shot=k_shot,
        query_shot=k_shot,
        **_budget(n_way, k_shot),
    )


def pair_protocol(n_way: int, k_shot: int, train: str, test: str) -> FewShotProtocol:
    """Few-NERD's episodes on another pair of datasets (types of `test` unseen in `train`)."""
    return FewShotProtocol(
        name=f"few-shot-{n_way}way-{k_shot}shot",
        setting=f"{train} -> {test}",
        n_way=n_way,
        k_shot=k_shot,
        query_shot=k_shot,
        candidates="any",
        **_budget(n_way, k_shot),
    )


def detect_setting(path: str | Path) -> Literal["intra", "inter"] | None:
    """INTRA / INTER when a folder or file name on the path says so (Few-NERD's layout)."""
    for part in reversed(Path(path).parts):
        name = part.lower()
        for setting in ("intra", "inter"):
            if name == setting or name.startswith(f"{setting}-") or f"-{setting}" in name:
                return setting  # type: ignore[return-value]
    return None


class FewNerdSampler(EpisodeSampler):
    """Episodes by Few-NERD's rule; episode i depends only on (seed, i)."""

    rng_name = "fewnerd"

    def __init__(
        self,
        sentences: Sequence[Sentence],
        types: Sequence[str],
        *,
        candidates: Candidates = "episode-only",
        **options: Any,
    ):
        """`options`: n_way, k_shot, query_shot and seed, as EpisodeSampler takes them."""
        super().__init__(sentences, types, **options)
        self.candidates = candidates
        self._any = (
            EpisodeSampler(self.sentences, self.types, **options) if candidates == "any" else None
        )

    def candidates_for(self, types: Sequence[str]) -> list[int]:
        """Sentences that mention an episode type and nothing else (Few-NERD's `valid`)."""
        wanted = set(types)
        return [i for i, c in enumerate(self.counts) if c and set(c) <= wanted]

    def episode(self, index: int) -> Episode:
        if self._any is not None:
            return self._any.episode(index)
        return super().episode(index)

    def _why_not(self) -> str:
        return (
            "from sentences that mention only episode types; use candidates='any' for corpora "
            "that mention many types per sentence"
        )

    def _query_order(self, rest: list[int], rng: random.Random) -> list[int]:
        rng.shuffle(rest)  # Few-NERD draws the query afresh from the same candidates
        return rest

    def _relabel(self, index: int, types: Sequence[str]) -> Sentence:
        return self.sentences[index]  # candidates mention episode types only
