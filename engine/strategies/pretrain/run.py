"""The `pretrain` strategy: masked-language-model pretraining, from scratch or continued.

Steps: corpus documents (engine.strategies.pretrain.corpus) -> held-out share -> tokenizer + MLM
model
(engine.strategies.pretrain.model) -> windows -> train with fresh masks and held-out perplexity
(engine.strategies.pretrain.loop) -> checkpoint, which any later run can use as `backbone:
run:<ID>`.
The embedding mapping is probed on the data section's dev sentences (when it has labelled ones),
so the Embeddings page shows what masked-LM training alone does to entity types.

strategy: {kind: pretrain, mode: continued, corpus: builtin:science, whole_word_mask: true}
"""

from __future__ import annotations

from typing import Any

from engine.config import PretrainStrategy
from engine.data.sources import load_splits
from engine.data.types import DataError, Sentence
from engine.probe.capture import start_mapping
from engine.strategies.base import RunContext, StrategyKind, register_strategy
from engine.strategies.pretrain.corpus import load_documents, split_held_out
from engine.strategies.pretrain.loop import perplexity, train_mlm
from engine.strategies.pretrain.masking import MaskSpec, encode_documents
from engine.strategies.pretrain.model import build_mlm


def probe_sentences(ctx: RunContext) -> list[Sentence] | None:
    """The data section's dev sentences, or None when it has no labelled data."""
    if not ctx.config.mapping.enabled:
        return None
    try:
        return load_splits(ctx.config.data, seed=ctx.config.train.seed).dev
    except DataError as err:
        ctx.say(f"mapping: the data section gives no labelled dev sentences ({err})")
        return None


def _ppl(loss: float | None) -> float | None:
    return None if loss is None else round(perplexity(loss), 4)


@register_strategy(StrategyKind.PRETRAIN)
def run_pretrain(ctx: RunContext) -> dict[str, Any]:
    cfg, strategy = ctx.config, ctx.begin(PretrainStrategy)
    source = strategy.corpus or cfg.data.train
    docs = load_documents(source, strategy.corpus_format)[: strategy.max_documents]
    train_docs, held_docs = split_held_out(docs, strategy.held_out, cfg.train.seed)
    words = sum(len(d) for d in docs)
    ctx.say(
        f"corpus {source}: {len(docs)} documents, {words:,} words "
        f"({len(train_docs)} train / {len(held_docs)} held out)"
    )
    tokenizer, model = build_mlm(cfg.backbone, strategy, train_docs)
    model = model.to(ctx.device)
    params = sum(p.numel() for p in model.parameters())
    ctx.say(
        f"model: {strategy.mode} from {cfg.backbone}, {params:,} parameters, "
        f"vocab {len(tokenizer):,}"
    )
    spec = MaskSpec.of(tokenizer, strategy.mask_prob, strategy.whole_word_mask)
    train_ex = encode_documents(train_docs, tokenizer, cfg.train.max_length)
    held_ex = encode_documents(held_docs, tokenizer, cfg.train.max_length)
    capture = start_mapping(ctx, probe_sentences(ctx), tokenizer)
    capture.capture(model, "initial")
    res = train_mlm(
        model,
        train_ex,
        held_ex,
        cfg=cfg.train,
        spec=spec,
        device=ctx.device,
        dtype=ctx.dtype,
        pad_id=tokenizer.pad_token_id or 0,
        tracker=ctx.tracker,
        progress=ctx.progress,
    )
    summary: dict[str, Any] = {
        "steps": res.steps,
        "train_seconds": round(res.train_seconds, 3),
        "train_tokens": res.train_tokens,
        "train_tokens_per_s": round(res.tokens_per_s, 1),
        "final_train_loss": round(res.last_loss, 4),
        "initial_heldout_perplexity": _ppl(res.initial_heldout_loss),
        "heldout_perplexity": _ppl(res.heldout_loss),
        "corpus_documents": len(docs),
        "vocab_size": len(tokenizer),
    }
    if res.stopped:
        summary["cancelled"] = True
        return summary
    capture.capture(model, "final")
    summary["mapping"] = capture.finish()
    ctx.say(
        f"held-out perplexity {summary['initial_heldout_perplexity']} -> "
        f"{summary['heldout_perplexity']}"
    )
    ctx.save_final_checkpoint(model, tokenizer, summary)
    return summary
