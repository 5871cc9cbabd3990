"""The one readable path through the engine: data -> model -> training loop -> seqeval report.

No database, no job, no tracker of record: the same functions the `finetune` strategy calls
(engine/strategies/finetune/run.py), in the order it calls them, on a built-in corpus.

    .venv/bin/python examples/finetune_minimal.py               # tiny model, ~30 s on a 2-core CPU
    .venv/bin/python examples/finetune_minimal.py minilm-l6 3   # the pretrained encoder, 3 epochs
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere in the repo

import torch  # noqa: E402

from engine.config import DataConfig, TrainConfig  # noqa: E402
from engine.data.alignment import SpecialIds, encode_sentences  # noqa: E402
from engine.data.sources import load_splits  # noqa: E402
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone  # noqa: E402
from engine.tracking.tracker import MemoryTracker  # noqa: E402
from engine.training.loop import fit  # noqa: E402
from engine.training.predict import evaluate  # noqa: E402


def main(backbone_name: str = "tiny", epochs: int = 4) -> float:
    torch.manual_seed(13)
    # 1. Data: IOB2 sentences; the built-in corpus has train, dev and test splits.
    splits = load_splits(DataConfig(train="builtin:news", max_train_sentences=600), seed=13)
    label2id = {label: i for i, label in enumerate(splits.labels)}
    id2label = dict(enumerate(splits.labels))

    # 2. Model: a backbone encoder with a fresh token-classification head.
    backbone = resolve_backbone(backbone_name)
    tokenizer = load_tokenizer(backbone, corpus=[s.tokens for s in splits.train])
    model = load_token_classifier(backbone, splits.labels, vocab_size=len(tokenizer))

    # 3. Windows: each word's first sub-token carries its label, the rest are ignored (-100).
    train = encode_sentences(splits.train, tokenizer, label2id, max_length=128)
    test = encode_sentences(splits.test or [], tokenizer, label2id, max_length=128)
    pad = SpecialIds.of(tokenizer).pad

    # 4. The training loop: AdamW, warm-up, length-grouped batches, loss logged to the tracker.
    lr = 3e-3 if backbone_name == "tiny" else 1e-4  # from scratch vs pretrained
    cfg = TrainConfig(epochs=epochs, batch_size=16, lr=lr, save_checkpoint=False)
    device, dtype = torch.device("cpu"), torch.float32
    tracker = MemoryTracker()
    fit(model, train, cfg=cfg, device=device, dtype=dtype, pad_id=pad, tracker=tracker,
        progress=False)  # fmt: skip
    losses = tracker.series("train_loss")
    print(f"train loss {losses[0]:.3f} -> {losses[-1]:.3f} over {len(losses)} logged steps")

    # 5. The report: entity-level micro-F1 (seqeval, strict IOB2) on the test split.
    report = evaluate(model, splits.test or [], test, id2label, device, dtype, pad)
    print(f"test F1 {report.f1:.3f} (precision {report.precision:.3f}, recall {report.recall:.3f})")
    for entity_type, scores in sorted(report.per_type.items()):
        print(f"  {entity_type:<6} F1 {scores.f1:.3f}  support {scores.support}")
    return report.f1


if __name__ == "__main__":
    main(*(sys.argv[1:2] or ["tiny"]), *(int(a) for a in sys.argv[2:3]))
