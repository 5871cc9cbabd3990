"""`python -m engine predict`: tag a sentence, or pre-annotate a file (`--input FILE --format F`).

engine.cli takes its parser (add_parser) and command (cmd_predict) from here. Without --input
and --format, today's behaviour: one text (--text or stdin), words with tags and confidences
(or --json). With them:

    documents, notes = read_documents(Path("notes.txt"))       # one document a line, or a format
    predicted, bar = predict_file(stage, run_id, documents)     # stage: client.resolve_checkpoint
    text = render(predicted.predictions, "labelstudio", model_version=predicted.model_version)

Reads the documents (engine.inference.documents), tags them in sentence batches
(engine.inference.batch) with a progress bar and tokens/s on stderr, and writes them in the
chosen format (engine.inference.outputs). `model_version` in the output names the run
("run-7"), and the stage when one was asked for ("run-7/task_0").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TypedDict, Unpack

from engine.inference.client import Stage
from engine.inference.documents import INPUT_FORMATS, Document, read_documents
from engine.inference.outputs import OUTPUT_FORMATS, PredictedFile, render
from engine.inference.progress import Progress


def model_version(run_id: int, stage: str | None) -> str:
    """The name Label Studio shows for these predictions: the run, and a stage asked for."""
    return f"run-{run_id}" if stage is None else f"run-{run_id}/{stage}"


class TagOptions(TypedDict, total=False):
    """How to tag, shared by `predict_file` and the CLI command that wraps it."""

    asked_stage: str | None
    device: str  # default "cpu"
    max_tokens: int  # sub-tokens per window, default 200
    batch_size: int | None  # a cap on windows per batch
    batch_tokens: int | None  # padded sub-tokens per batch (default: the device's budget)
    precision: str  # default "auto"
    quiet: bool


def predict_file(
    stage: Stage,
    run_id: int,
    documents: list[Document],
    *,
    asked_stage: str | None = None,
    device: str = "cpu",
    max_tokens: int = 200,
    batch_size: int | None = None,
    batch_tokens: int | None = None,
    precision: str = "auto",
    quiet: bool = False,
    notes: list[str] | None = None,
) -> tuple[PredictedFile, Progress]:
    """Tag `documents` with the checkpoint `stage` of run `run_id`."""
    from engine.inference.batch import predict_documents

    bar = Progress(sum(len(d.tokens) for d in documents), quiet=quiet)
    predictions = predict_documents(
        stage.path,
        documents,
        device,
        max_tokens=max_tokens,
        batch_size=batch_size,
        batch_tokens=batch_tokens,
        precision=precision,
        progress=bar,
        loaded=bar.restart,
    )
    predicted = PredictedFile(
        run_id,
        stage.name,
        model_version(run_id, asked_stage),
        predictions,
        bar.seconds,
        list(notes or []),
    )
    return predicted, bar


def run_predict_file(
    stage: Stage,
    run_id: int,
    *,
    input_path: str | None,
    text: str | None,
    fmt: str,
    output: str | None,
    input_format: str = "auto",
    text_key: str | None = None,
    details: str | None = None,
    **options: Unpack[TagOptions],
) -> int:
    """The CLI command: read, tag, write; the exit code. `text` (one document a line) is used
    when there is no `input_path`; `details` also gets the predictions as JSON (the
    dashboard's input)."""
    if input_path is not None:
        documents, notes = read_documents(Path(input_path), input_format, text_key)
    else:
        lines = (text or "").replace("\r\n", "\n").split("\n")
        documents = [Document.of_text(line) for line in lines if line.strip()]
        notes = []
    for note in notes if not options.get("quiet") else []:
        print(f"note: {note}", file=sys.stderr)
    if not documents:
        print("error: no text to tag in the input", file=sys.stderr)
        return 1
    predicted, bar = predict_file(stage, run_id, documents, notes=notes, **options)
    body = render(predicted.predictions, fmt, model_version=predicted.model_version)
    if output:
        Path(output).write_text(body, encoding="utf-8")
    else:
        sys.stdout.write(body)
        sys.stdout.flush()
    if details:
        Path(details).write_text(json.dumps(predicted.to_dict(), ensure_ascii=False), "utf-8")
    entities = sum(len(p.entities) for p in predicted.predictions)
    where = f"wrote {output}" if output else "written to stdout"
    bar.finish(f"{len(documents)} documents, {entities} entities, {fmt}; {where}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `predict` subcommand of engine.cli."""
    pred = sub.add_parser("predict", help="tag text or a file with a run's checkpoint")
    pred.add_argument("run_id", type=int)
    pred.add_argument("--stage", help="checkpoint stage: best, final, task_0, ... (default last)")
    pred.add_argument("--text", help="the text to tag (default: read from stdin)")
    pred.add_argument("--device", default="cpu", help="cpu (default), cuda or mps")
    pred.add_argument("--json", action="store_true")
    pred.add_argument("--input", help="a file to pre-annotate: one document a line, or any format")
    pred.add_argument("--format", choices=OUTPUT_FORMATS, help="output format (with --input)")
    pred.add_argument("--input-format", choices=INPUT_FORMATS, default="auto")
    pred.add_argument("--text-key", help="Label Studio data key of the text (default: text)")
    pred.add_argument("--output", help="file to write (default: stdout)")
    pred.add_argument("--details", help="also write tokens, tags and scores as JSON here")
    pred.add_argument("--max-tokens", type=int, default=200, help="tokens per sentence window")
    pred.add_argument(
        "--batch-size", type=int, help="at most this many model windows a batch (default: no cap)"
    )
    pred.add_argument(
        "--batch-tokens",
        type=int,
        help="padded sub-tokens a batch (default 4096 on a CPU, 32768 on CUDA)",
    )
    pred.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16", "fp16"),
        default="auto",
        help="auto (default): bf16 where the device runs it fast, as training does",
    )
    pred.add_argument("--quiet", action="store_true", help="no progress on stderr")


def cmd_predict(args: argparse.Namespace) -> int:
    """Tag a sentence (stdin or --text; words, tags, entities), or a file (--input / --format)."""
    from engine.inference.client import PredictError, resolve_checkpoint

    text = None
    if args.input is None:
        text = args.text if args.text is not None else sys.stdin.read()
    try:
        stage = resolve_checkpoint(args.run_id, args.stage)
    except PredictError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args.input is not None or args.format is not None:
        return _predict_file(args, stage, text)
    from engine.inference.tagger import tag_text

    result = {"run_id": args.run_id, "stage": stage.name} | tag_text(
        stage.path, text or "", args.device, args.precision
    )
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    for word in result["words"]:
        print(f"{word['text']}\t{word['tag']}\t{word['confidence']:.3f}")
    for entity in result["entities"]:
        print(f"{entity['type']}: {entity['text']} ({entity['confidence']:.2f})")
    return 0


def _predict_file(args: argparse.Namespace, stage: Stage, text: str | None) -> int:
    """`predict --input FILE` (or --format with text): documents in, predictions out."""
    return run_predict_file(
        stage,
        args.run_id,
        input_path=args.input,
        text=text,
        fmt=args.format or "labelstudio",
        output=args.output,
        input_format=args.input_format,
        text_key=args.text_key,
        details=args.details,
        asked_stage=args.stage,
        device=args.device,
        max_tokens=args.max_tokens,
        batch_size=args.batch_size,
        batch_tokens=args.batch_tokens,
        precision=args.precision,
        quiet=args.quiet,
    )
