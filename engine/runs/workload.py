"""How much computing a run config asks for, counted without running it (torch-free).

A `Workload` counts sub-tokens through forward + backward passes (training), sub-tokens through
forward passes only (dev and test evaluation, embedding probes, a teacher model's predictions),
optimizer steps and forward batches (each has a fixed cost besides its tokens), and the fixed
events that take time of their own: scoring reports, embedding captures, checkpoints and
episodes. engine.runs.estimate turns it into seconds with this machine's measured throughput.

Counts follow the strategies: sentences x mean sub-tokens per sentence x epochs for training;
dev evaluated each epoch; a continual run scores every task's test data before training and
after each task (T + 1 passes, T x (T + 1) reports); a meta run is episodes x (support + query)
sentences; pretraining is documents x epochs. Dataset sizes: engine.runs.data_sizes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from engine.config import ContinualStrategy, MetaStrategy, PretrainStrategy, RunConfig
from engine.runs.data_sizes import Sizes, Split, labelled_splits, task_splits

SPECIALS = 2  # [CLS] and [SEP] in every window
# Sub-tokens per word, measured on the built-in corpora: MiniLM's WordPiece vocabulary (minilm-l6,
# tiny) splits 1.10-1.20 per English word, a vocabulary built from the corpus 1.02-1.04.
SUBTOKENS_PER_WORD = {"packaged": 1.15, "corpus": 1.03}
EPISODE_SET = 1.5  # sentences per mention wanted: a support set of K-2K mentions per type
EVAL_BATCH = 64  # engine.training.predict's batch size


@dataclass(frozen=True)
class Workload:
    kind: str
    family: str  # ner | mlm | meta: runs of one family share a throughput
    backbone: str  # the model's shape: tiny, tiny-corpus, minilm-l6, small, small-corpus, other
    train_tokens: float = 0.0
    train_steps: float = 0.0
    eval_tokens: float = 0.0
    eval_calls: float = 0.0
    reports: int = 0  # entity scores computed (seqeval + the rows written)
    captures: int = 0  # embedding-mapping stages captured
    projection: str = "pca"
    checkpoints: int = 0
    episodes: int = 0

    def add(self, **more: float) -> Workload:
        return replace(self, **{k: getattr(self, k) + v for k, v in more.items()})


def vocab_kind(backbone: str) -> str:
    return "corpus" if backbone.endswith("corpus") else "packaged"


def tokens_per_sentence(split: Split, backbone: str, max_length: int) -> float:
    words = split.words / max(split.sentences, 1)
    return min(words * SUBTOKENS_PER_WORD[vocab_kind(backbone)] + SPECIALS, float(max_length))


def _evaluation(w: Workload, split: Split | None, passes: float, cfg: RunConfig) -> Workload:
    if split is None or split.sentences == 0 or passes <= 0:
        return w
    tokens = split.sentences * tokens_per_sentence(split, w.backbone, cfg.train.max_length)
    calls = math.ceil(split.sentences / EVAL_BATCH)
    return w.add(eval_tokens=passes * tokens, eval_calls=passes * calls)


def _training(w: Workload, split: Split, epochs: int, cfg: RunConfig) -> tuple[Workload, int]:
    """`epochs` passes over `split` in batches of train.batch_size, capped by train.max_steps."""
    per_epoch = math.ceil(split.sentences / cfg.train.batch_size)
    steps = per_epoch * epochs
    if cfg.train.max_steps is not None:
        steps = min(steps, cfg.train.max_steps)
    sentences = min(steps * cfg.train.batch_size, split.sentences * epochs)
    tokens = sentences * tokens_per_sentence(split, w.backbone, cfg.train.max_length)
    return w.add(train_tokens=tokens, train_steps=steps), steps


def _probes(w: Workload, dev: Split | None, stages: int, cfg: RunConfig) -> Workload:
    if not cfg.mapping.enabled or dev is None or dev.sentences == 0:
        return w
    probe = dev.scaled(cfg.mapping.probe_sentences)
    w = replace(w, captures=w.captures + stages, projection=cfg.mapping.projection)
    return _evaluation(w, probe, stages, cfg)


def finetune(cfg: RunConfig, sizes: Sizes, backbone: str) -> Workload:
    train, dev, test = labelled_splits(cfg, sizes)
    w = Workload("finetune", "ner", backbone)
    w, steps = _training(w, train, cfg.train.epochs, cfg)
    every = cfg.train.eval_every
    evals = math.ceil(steps / every) if every else min(cfg.train.epochs, steps)
    w = _evaluation(w, dev, evals, cfg)
    w = _evaluation(w, test, 1, cfg)
    w = _probes(w, dev, 2, cfg)  # before and after training
    saves = (math.ceil(evals / 2) + 1) if cfg.train.save_checkpoint else 0  # at each dev gain
    return w.add(reports=evals + (test is not None), checkpoints=saves)


def continual(cfg: RunConfig, sizes: Sizes, backbone: str) -> Workload:
    s = cfg.strategy
    assert isinstance(s, ContinualStrategy)
    tasks = task_splits(cfg, s, sizes)
    count, params = len(tasks), s.params
    memory = getattr(params, "memory_size", 0) if getattr(params, "replay", True) else 0
    teacher = s.method in ("lwf", "pseudo_lwf", "mapping")  # the previous model runs each batch
    w = Workload("continual", "ner", backbone)
    seen = 0
    for t, (train, dev, _) in enumerate(tasks):
        extra = seen if s.method == "joint" else min(memory, seen) if t else 0
        data = Split(train.sentences + extra, round(train.words * (1 + extra / train.sentences)))
        before = w.train_tokens
        w, steps = _training(w, data, cfg.train.epochs, cfg)
        if teacher and t:
            w = w.add(eval_tokens=w.train_tokens - before, eval_calls=steps)
        if s.method.startswith("pseudo") and t:  # the previous model labels the new data
            w = _evaluation(w, train, 1, cfg)
        if s.method == "ewc":  # the Fisher: forward + backward over a few batches
            fisher = data.scaled(getattr(params, "fisher_batches", 0) * cfg.train.batch_size)
            w, _ = _training(w, fisher, 1, cfg)
        if s.dev_per_task:
            w = _evaluation(w, dev, min(cfg.train.epochs, steps), cfg)
            w = w.add(reports=min(cfg.train.epochs, steps))
        seen += train.sentences
    distinct = {id(test): test for _, _, test in tasks}.values()  # a shared test set: one pass
    for test in distinct:
        w = _evaluation(w, test, count + 1, cfg)  # before training, after each task
    w = _probes(w, tasks[0][1], count + 1, cfg)
    saves = (count * s.task_checkpoints + 1) if cfg.train.save_checkpoint else 0
    return w.add(reports=count * (count + 1) + 1, checkpoints=saves)


def meta(cfg: RunConfig, sizes: Sizes, backbone: str) -> Workload:
    s = cfg.strategy
    assert isinstance(s, MetaStrategy)
    train, _, _ = labelled_splits(cfg, sizes)
    length = tokens_per_sentence(train, backbone, cfg.train.max_length)
    support = s.n_way * s.k_shot * EPISODE_SET * length
    query = s.n_way * (s.query_shot or s.k_shot) * EPISODE_SET * length
    inner = getattr(s.params, "inner_steps", 0) or getattr(s.params, "steps", 0)
    episodes = s.episodes.train if s.meta_trained else 0
    w = Workload("meta", "meta", backbone, episodes=episodes + s.episodes.test)
    adapted = (episodes + s.episodes.test) * inner  # steps on each support set (MAML, Reptile,
    w = w.add(train_tokens=adapted * support, train_steps=adapted)  # the fine-tuning control)
    w = w.add(train_tokens=episodes * (support + query), train_steps=episodes)
    w = w.add(eval_tokens=s.episodes.test * (support + query), eval_calls=2 * s.episodes.test)
    saves = int(cfg.train.save_checkpoint and s.meta_trained and episodes > 0)
    return w.add(reports=s.episodes.test + 1, checkpoints=saves)


def pretrain(cfg: RunConfig, sizes: Sizes, backbone: str) -> Workload:
    s = cfg.strategy
    assert isinstance(s, PretrainStrategy)
    corpus = sizes.split(s.corpus or cfg.data.train, "train")
    if corpus is None:
        raise LookupError(s.corpus or cfg.data.train)
    docs = corpus.scaled(s.max_documents)
    held = docs.scaled(round(docs.sentences * s.held_out))
    train = docs.scaled(docs.sentences - held.sentences)
    w = Workload("pretrain", "mlm", backbone)
    w, steps = _training(w, train, cfg.train.epochs, cfg)
    every = cfg.train.eval_every
    evals = 1 + (math.ceil(steps / every) if every else min(cfg.train.epochs, steps))
    w = _evaluation(w, held, evals, cfg)  # held-out perplexity, first at step 0
    probe = sizes.split(cfg.data.dev or cfg.data.train, "dev")  # the data section's dev split
    w = _probes(w, probe if cfg.data.train in sizes.builtin or cfg.data.dev else None, 2, cfg)
    return w.add(checkpoints=int(cfg.train.save_checkpoint))


def trained_shape(cfg: RunConfig, resolve: Callable[[str], str]) -> str:
    """The shape key of the model a run trains (for a pretrain run: of its checkpoint)."""
    s = cfg.strategy
    if isinstance(s, PretrainStrategy) and s.mode == "from_scratch":
        size = "tiny" if s.scratch_size == "tiny" else "small"
        return f"{size}-corpus" if s.vocab == "corpus" else size
    return resolve(cfg.backbone)


KINDS = {"finetune": finetune, "continual": continual, "meta": meta, "pretrain": pretrain}


def workload(cfg: RunConfig, sizes: Sizes, backbone: str) -> Workload | None:
    """The run's workload, None when its data's size is unknown (a file not imported)."""
    count = KINDS.get(cfg.strategy.kind)
    if count is None:
        return None
    try:
        return count(cfg, sizes, backbone)
    except (LookupError, ZeroDivisionError):
        return None
