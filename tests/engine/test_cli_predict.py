"""`python -m engine predict RUN --input FILE --format F`: pre-annotations with exact offsets.

The checkpoint is tests/engine/test_inference.py's head-set model: every word gets B-PER (or
I-PER) whatever the text, so the expected entities are the tokens of engine.data.char_spans
and the offsets can be checked exactly, on CJK, emoji, combining marks and CRLF input.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from engine.cli import main
from engine.data.char_spans import tokenize
from engine.data.readers import read_corpus
from storage import runs
from storage.db import write_session
from storage.models import RunStatus

from .test_inference import head_set_checkpoint

LINES = ["李白 visited 北京 🇫🇷 today 👨‍🚒!", "Ann Lee met José (Jose\u0301) in Paris."]
SCORE = round(math.exp(2) / (math.exp(2) + 2), 4)  # softmax([0, 2, 0])[1]


def _run_with(lab: Path, bias: list[float], kind: str = "finetune") -> int:
    checkpoint = head_set_checkpoint(lab / "ck" / kind, bias)
    with write_session() as s:
        run_id = runs.create_run(s, name="pre", kind=kind, method="full", config={})
        runs.add_artifact(s, run_id, kind="checkpoint", path=str(checkpoint), stage="final")
        runs.mark_running(s, run_id, pid=1, device="cpu")
        runs.transition(s, run_id, RunStatus.SUCCEEDED)
    return run_id


@pytest.fixture
def every_b(lab: Path) -> int:
    """A run whose model tags every word B-PER."""
    return _run_with(lab, [0.0, 2.0, 0.0])


def _predict(run_id: int, source: Path, fmt: str, *extra: str) -> str:
    out = source.with_name(f"out-{fmt}")
    args = ["predict", str(run_id), "--input", str(source), "--format", fmt, "--output", str(out)]
    assert main([*args, *extra]) == 0
    return out.read_text(encoding="utf-8")


def test_labelstudio_predictions_have_exact_offsets_on_unicode_and_crlf(every_b, tmp_path, capsys):
    source = tmp_path / "docs.txt"
    source.write_bytes(("\r\n".join(LINES) + "\r\n\r\n").encode("utf-8"))
    tasks = json.loads(_predict(every_b, source, "labelstudio"))
    assert [task["data"]["text"] for task in tasks] == LINES  # one task a line, CR dropped
    for task, line in zip(tasks, LINES, strict=True):
        (prediction,) = task["predictions"]
        assert prediction["model_version"] == f"run-{every_b}"
        assert prediction["score"] == pytest.approx(SCORE, abs=1e-4)
        values = [r["value"] for r in prediction["result"]]
        expected = [(t.start, t.end, ["PER"]) for t in tokenize(line)]
        assert [(v["start"], v["end"], v["labels"]) for v in values] == expected
        assert all(v["text"] == line[v["start"] : v["end"]] for v in values)
        assert all(
            r["type"] == "labels" and r["from_name"] == "label" for r in prediction["result"]
        )
        assert len({r["id"] for r in prediction["result"]}) == len(values)
    chinese = [r["value"]["text"] for r in tasks[0]["predictions"][0]["result"]]
    assert chinese == ["李", "白", "visited", "北", "京", "🇫🇷", "today", "👨‍🚒", "!"]
    combined = [r["value"]["text"] for r in tasks[1]["predictions"][0]["result"]]
    assert "Jose\u0301" in combined  # the combining accent stays with its letter
    n = sum(len(tokenize(line)) for line in LINES)
    err = capsys.readouterr().err
    assert "tokens/s" in err and "predict [" in err and f"2 documents, {n} entities" in err


def test_long_documents_are_cut_into_sentences_and_windows_offsets_stay_exact(every_b, tmp_path):
    document = " ".join(f"Sentence {i} has 李白 and 👍🏽 in it." for i in range(40))
    source = tmp_path / "book.txt"
    source.write_text(document + "\n", encoding="utf-8")
    (record,) = [json.loads(x) for x in _predict(every_b, source, "doccano").splitlines()]
    assert record["text"] == document
    assert record["label"] == [[t.start, t.end, "PER"] for t in tokenize(document)]
    conll = _predict(every_b, source, "conll", "--max-tokens", "4")
    blocks = [b for b in conll.split("\n\n") if b.strip()]
    assert all(len(b.splitlines()) <= 4 for b in blocks) and len(blocks) >= 40 * 3
    words = [line.split("\t")[0] for b in blocks for line in b.splitlines()]
    assert words == [t.text for t in tokenize(document)]


def test_doccano_spacy_conll_and_jsonl_outputs(every_b, tmp_path):
    source = tmp_path / "doccano.jsonl"
    rows = [{"id": 7, "text": "Ann met Bob", "label": [[0, 3, "PER"]]}, {"id": 8, "text": "李白"}]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    doccano = [json.loads(x) for x in _predict(every_b, source, "doccano").splitlines()]
    assert doccano == [
        {"id": 7, "text": "Ann met Bob", "label": [[0, 3, "PER"], [4, 7, "PER"], [8, 11, "PER"]]},
        {"id": 8, "text": "李白", "label": [[0, 1, "PER"], [1, 2, "PER"]]},
    ]
    spans = [json.loads(x) for x in _predict(every_b, source, "spacy").splitlines()]
    assert [(s["start"], s["end"], s["token_start"], s["label"]) for s in spans[0]["spans"]] == [
        (0, 3, 0, "PER"), (4, 7, 1, "PER"), (8, 11, 2, "PER")
    ]  # fmt: skip
    assert spans[0]["spans"][0]["score"] == pytest.approx(SCORE, abs=1e-4)
    conll = _predict(every_b, source, "conll")
    assert conll == "Ann\tB-PER\nmet\tB-PER\nBob\tB-PER\n\n李\tB-PER\n白\tB-PER\n\n"
    out = source.with_name("out-conll")
    assert [s.tokens for s in read_corpus(out).sentences] == [("Ann", "met", "Bob"), ("李", "白")]
    lines = _predict(every_b, source, "jsonl")
    first = json.loads(lines.splitlines()[0])
    assert (first["id"], first["ner_tags"], first["entities"][0]["text"]) == (
        7, ["B-PER", "B-PER", "B-PER"], "Ann"
    )  # fmt: skip
    back = read_corpus(source.with_name("out-jsonl"))
    assert [s.tags for s in back.sentences] == [("B-PER",) * 3, ("B-PER",) * 2]


def test_input_formats_label_studio_conll_and_tokens(every_b, tmp_path):
    export = tmp_path / "export.json"
    tasks = [
        {"id": 1, "data": {"text": "Ann Lee", "meta": "x"}, "annotations": [{"result": []}]},
        {"id": 2, "data": {"body": "李白"}},  # the only string in data is the text
    ]
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    out = json.loads(_predict(every_b, export, "labelstudio", "--stage", "final"))
    assert [t["data"] for t in out] == [{"text": "Ann Lee", "meta": "x"}, {"body": "李白"}]
    assert out[1]["predictions"][0]["result"][1]["value"]["text"] == "白"
    assert out[0]["predictions"][0]["model_version"] == f"run-{every_b}/final"

    conll = tmp_path / "tokens.conll"
    conll.write_text("-DOCSTART-\n\nU.S.\nand\n\nNew-York\tB-LOC\n", encoding="utf-8")
    spans = [json.loads(x) for x in _predict(every_b, conll, "spacy").splitlines()]
    assert [[t["text"] for t in s["tokens"]] for s in spans] == [["U.S.", "and"], ["New-York"]]
    assert spans[0]["text"] == "U.S. and" and spans[0]["spans"][0]["end"] == 4

    tokens = tmp_path / "autotrain.jsonl"
    tokens.write_text('{"tokens": ["U.S.", "rises"], "tags": ["B-LOC", "O"]}\n', "utf-8")
    assert _predict(every_b, tokens, "conll") == "U.S.\tB-PER\nrises\tB-PER\n\n"


def test_text_argument_with_a_format_and_the_sentence_mode_unchanged(every_b, capsys):
    assert main(["predict", str(every_b), "--text", "Ann\nBob Lee", "--format", "doccano"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [json.loads(x)["text"] for x in out] == ["Ann", "Bob Lee"]
    assert main(["predict", str(every_b), "--text", "Ann met Bob", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [w["text"] for w in shown["words"]] == ["Ann", "met", "Bob"]
    assert shown["stage"] == "final" and shown["entities"][0]["type"] == "PER"


def test_predict_errors_are_one_line(every_b, tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    assert main(["predict", str(every_b), "--input", str(empty), "--format", "conll"]) == 1
    assert "no text to tag" in capsys.readouterr().err
    assert main(["predict", "999", "--input", str(empty), "--format", "conll"]) == 1
    assert "there is no run 999" in capsys.readouterr().err
    missing = tmp_path / "missing.txt"
    assert main(["predict", str(every_b), "--input", str(missing)]) == 1
    assert "cannot read file" in capsys.readouterr().err


def test_the_dashboard_client_tags_a_file_in_a_subprocess(lab, tmp_path):
    from engine import api

    run_id = _run_with(lab, [0.0, 1.0, 3.0])  # every word I-PER: one entity a sentence
    data = "Ann met Bob. Then 李白 left.\nZoe\n".encode()
    done = api.predict_file(run_id, None, "../notes.txt", data)
    assert (done.run_id, done.stage, done.model_version) == (run_id, "final", f"run-{run_id}")
    texts = [p.text for p in done.predictions]
    assert texts == ["Ann met Bob. Then 李白 left.", "Zoe"]
    entities = [(e.start, e.end, e.type) for e in done.predictions[0].entities]
    assert entities == [(0, len(texts[0]), "PER")]  # I- continues across the sentences
    assert done.tokens == 10 and done.seconds >= 0
    tasks = json.loads(api.render_predictions(done.predictions, "labelstudio", model_version="v"))
    assert tasks[1]["predictions"][0]["result"][0]["value"]["text"] == "Zoe"
    with pytest.raises(api.PredictError, match="empty"):
        api.predict_file(run_id, None, "x.txt", b"  \n")
