"""Benchmark: the lab's `predict` and dev evaluation vs `transformers.pipeline`, sentences/s.

One checkpoint (minilm-l6 with a random token-classification head, built and saved through the
engine's own model code: speed does not depend on training) and one text (WNUT-17 test
sentences from ../shared/datasets/wnut17 when present, else the built-in news corpus). Sides:

- lab predict: engine.inference.batch.predict_documents on the sentences' words (what
  `python -m engine predict RUN --input FILE.conll` runs), at `--precision` (auto: bf16 where
  the CPU runs it fast, the rule training uses) and in fp32
- pipeline: `transformers.pipeline("token-classification", aggregation_strategy="first")` on
  the same checkpoint, the sentences joined by spaces, `batch_size=--batch-size`, in fp32 and
  with the model loaded in bf16 (what a user who cares would try)
- dev evaluation before / after: engine.training.predict.evaluate today vs the implementation
  it replaced (a copy kept below, in this file only), on the dev sentences at the training
  precision; the table says whether both give the same tags

Model loading is outside every timing. After one untimed warm-up pass of each side on a few
sentences, the timed runs alternate (the side order rotates each repeat, so machine load hits
every side alike) and the table shows the median of `--repeats`.

    .venv/bin/python bench/predict_vs_pipeline.py [--repeats 3] [--json out.json]
    .venv/bin/python bench/predict_vs_pipeline.py --batch-tokens 2048   # the lab's batch budget
    .venv/bin/python bench/predict_vs_pipeline.py --quick --backbone tiny   # does it run
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from training_sides import data_config

from engine.data.alignment import IGNORE, SpecialIds, encode_sentences, gather_word_predictions
from engine.data.batching import sorted_batches
from engine.data.sources import load_splits
from engine.data.types import Sentence
from engine.device import pick_precision
from engine.inference.batch import predict_documents
from engine.inference.documents import Document
from engine.inference.tagger import load_checkpoint
from engine.metrics.ner import NerReport, entity_report
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.models.checkpoint import save_checkpoint
from engine.training.predict import autocast_for, evaluate
from engine.training.tensors import collate

CPU = torch.device("cpu")

# ---- the evaluation before the fast path (kept here only, to run before/after side by side) --


@torch.inference_mode()
def old_predict_label_ids(model, windows, device, dtype, pad_id, batch_size=64):
    was_training = model.training
    model.eval()
    out: list[list[int]] = [[] for _ in windows]
    for batch in sorted_batches([w.length for w in windows], batch_size):
        tensors = collate([windows[i] for i in batch], pad_id)
        with autocast_for(device, dtype):
            logits = model(
                input_ids=tensors["input_ids"].to(device),
                attention_mask=tensors["attention_mask"].to(device),
            ).logits
        best = logits.argmax(-1).cpu()
        keep = tensors["labels"] != IGNORE
        for row, i in enumerate(batch):
            out[i] = best[row][keep[row]].tolist()
    model.train(was_training)
    return out


def old_predict_tags(model, sentences, windows, id2label, device, dtype, pad_id):
    ids = old_predict_label_ids(model, windows, device, dtype, pad_id)
    words = gather_word_predictions(windows, ids, [len(s.tokens) for s in sentences])
    return [[id2label[i] for i in sent] for sent in words]


def old_evaluate(model, sentences, windows, id2label, device, dtype, pad_id) -> NerReport:
    pred = old_predict_tags(model, sentences, windows, id2label, device, dtype, pad_id)
    return entity_report([list(s.tags) for s in sentences], pred)


# ---- the sides --------------------------------------------------------------------------------


def build_checkpoint(folder: Path, labels: list[str], backbone_name: str, seed: int) -> Path:
    torch.manual_seed(seed)
    backbone = resolve_backbone(backbone_name)
    tokenizer = load_tokenizer(backbone)
    model = load_token_classifier(backbone, labels, vocab_size=len(tokenizer))
    return save_checkpoint(model, tokenizer, folder, {"backbone": backbone_name})


def lab_predict(
    checkpoint: Path, sentences: Sequence[Sentence], precision: str, batch_tokens: int | None
) -> float:
    """Seconds predict_documents spends tagging (its `loaded` mark starts the clock)."""
    documents = [Document.of_words(list(s.tokens)) for s in sentences]
    marks: list[float] = []
    predictions = predict_documents(
        checkpoint,
        documents,
        "cpu",
        precision=precision,
        batch_tokens=batch_tokens,
        loaded=lambda: marks.append(time.perf_counter()),
    )
    seconds = time.perf_counter() - marks[0]
    assert len(predictions) == len(documents)
    return seconds


def make_pipeline(checkpoint: Path, dtype: torch.dtype) -> Any:
    from transformers import pipeline

    return pipeline(
        "token-classification",
        model=str(checkpoint),
        tokenizer=str(checkpoint),
        aggregation_strategy="first",
        device="cpu",
        dtype=dtype,
    )


def pipeline_predict(pipe: Any, texts: list[str], batch_size: int) -> float:
    started = time.perf_counter()
    out = pipe(texts, batch_size=batch_size)
    assert len(out) == len(texts)
    return time.perf_counter() - started


def eval_side(fn: Callable[..., NerReport], model: Any, dev: Any) -> float:
    started = time.perf_counter()
    fn(model, dev["sentences"], dev["windows"], dev["id2label"], CPU, dev["dtype"], dev["pad"])
    return time.perf_counter() - started


def same_tags(model: Any, dev: dict[str, Any]) -> float:
    """Share of dev words the old and the new evaluation tag alike (1.0: identical)."""
    from engine.training.predict import predict_tags

    args = (model, dev["sentences"], dev["windows"], dev["id2label"], CPU, dev["dtype"], dev["pad"])
    old, new = old_predict_tags(*args), predict_tags(*args)
    pairs = [(a, b) for s, t in zip(old, new, strict=True) for a, b in zip(s, t, strict=True)]
    return sum(a == b for a, b in pairs) / max(1, len(pairs))


def sides(args, checkpoint: Path, test: list[Sentence], dev: dict[str, Any]) -> dict[str, Callable]:
    texts = [" ".join(s.tokens) for s in test]
    _, model = load_checkpoint(checkpoint, CPU)
    pipes = {"fp32": make_pipeline(checkpoint, torch.float32)}
    pipes["bf16"] = make_pipeline(checkpoint, torch.bfloat16)
    budget = args.batch_tokens
    after = partial(evaluate, max_tokens=budget)
    return {
        f"lab predict ({args.precision})": lambda n: lab_predict(
            checkpoint, test[:n], args.precision, budget
        ),
        "lab predict (fp32)": lambda n: lab_predict(checkpoint, test[:n], "fp32", budget),
        "pipeline (fp32)": lambda n: pipeline_predict(pipes["fp32"], texts[:n], args.batch_size),
        "pipeline (bf16)": lambda n: pipeline_predict(pipes["bf16"], texts[:n], args.batch_size),
        "dev eval before": lambda n: eval_side(old_evaluate, model, dev_head(dev, n)),
        "dev eval after": lambda n: eval_side(after, model, dev_head(dev, n)),
    }


def dev_head(dev: dict[str, Any], n: int) -> dict[str, Any]:
    """The first n dev sentences (all of them when n covers them), windows included."""
    if n >= len(dev["sentences"]):
        return dev
    windows = [w for w in dev["windows"] if w.sentence < n]
    return dev | {"sentences": dev["sentences"][:n], "windows": windows}


def dev_data(checkpoint: Path, sentences: list[Sentence], precision: str) -> dict[str, Any]:
    tokenizer, model = load_checkpoint(checkpoint, CPU)
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    label2id = {v: k for k, v in id2label.items()}
    return {
        "sentences": sentences,
        "windows": encode_sentences(sentences, tokenizer, label2id, 128),
        "id2label": id2label,
        "dtype": pick_precision(CPU, precision),
        "pad": SpecialIds.of(tokenizer).pad,
    }


def table(medians: dict[str, float], counts: dict[str, int], repeats: int) -> str:
    best_pipe = max(v for k, v in medians.items() if k.startswith("pipeline"))
    rows = [
        f"sentences/s, median of {repeats} alternated run(s)",
        f"{'side':<22} {'sentences':>9} {'sent/s':>9} {'vs best pipeline':>16}",
    ]
    for side, rate in medians.items():
        ratio = f"{rate / best_pipe:.2f}x" if not side.startswith("dev") else ""
        rows.append(f"{side:<22} {counts[side]:>9} {rate:>9.1f} {ratio:>16}")
    before, after = medians["dev eval before"], medians["dev eval after"]
    rows.append(f"dev evaluation after / before: {after / before:.2f}x")
    return "\n".join(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="64 sentences, one repeat: does it run")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--sentences", type=int, default=None, help="at most this many (default all)")
    p.add_argument("--batch-size", type=int, default=32, help="the pipeline's batch_size")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    p.add_argument(
        "--batch-tokens", type=int, default=None, help="the lab's padded sub-tokens a batch"
    )
    p.add_argument("--data", default="auto", help="auto, wnut17, builtin:NAME or a folder")
    p.add_argument("--backbone", default="minilm-l6")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--json", type=Path, default=None, help="also write every run here")
    args = p.parse_args()
    repeats = 1 if args.quick else args.repeats
    limit = 64 if args.quick else args.sentences
    splits = load_splits(data_config(args.data), seed=args.seed)
    test = list(splits.test or splits.dev)[:limit]
    dev_sents = list(splits.dev)[:limit]
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = build_checkpoint(Path(tmp) / "ckpt", splits.labels, args.backbone, args.seed)
        dev = dev_data(checkpoint, dev_sents, args.precision)
        runs = sides(args, checkpoint, test, dev)
        counts = {s: len(dev_sents) if s.startswith("dev") else len(test) for s in runs}
        print(
            f"{len(test)} test / {len(dev_sents)} dev sentences, {args.backbone}, eval precision "
            f"{str(dev['dtype']).removeprefix('torch.')}, torch threads {torch.get_num_threads()}",
            flush=True,
        )
        for fn in runs.values():
            fn(8)  # warm-up: one-time kernel and allocator set-up lands on no timed run
        timings: dict[str, list[float]] = {side: [] for side in runs}
        names = list(runs)
        for r in range(repeats):
            for side in names[r % len(names) :] + names[: r % len(names)]:
                seconds = runs[side](counts[side])
                timings[side].append(counts[side] / seconds)
                print(f"run {r + 1} {side}: {counts[side] / seconds:.1f} sentences/s", flush=True)
        _, model = load_checkpoint(checkpoint, CPU)
        agreement = same_tags(model, dev)
    medians = {side: statistics.median(v) for side, v in timings.items()}
    result = {"medians": medians, "runs": timings, "dev_tags_same_share": agreement}
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    print(table(medians, counts, repeats))
    print(f"dev tags identical before/after: {agreement:.4f} of words")


if __name__ == "__main__":
    main()
