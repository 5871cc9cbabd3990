"""`engine export --dataset` round trips and `engine validate`'s repair and reading options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main
from engine.data import service as ds
from engine.data.builtin import load_builtin
from engine.data.readers import read_corpus

# Chinese one character a token, as engine.data.char_spans splits it: span formats round trip.
CLEAN = "Ann B-PER\nLee I-PER\nvisited O\n北 B-LOC\n京 I-LOC\n. O\n\nBob B-PER\nsmiled O\n"
UNKNOWN = "Blackburn Q-PER\nsaid O\n\nPeter B-PER\nBlackburn Q-PER\nleft O\n"


@pytest.mark.parametrize("fmt", ["labelstudio", "conll", "jsonl", "doccano", "spacy"])
def test_an_imported_dataset_exported_reads_back_the_same(lab, tmp_path, capsys, fmt):
    ds.import_upload("news.conll", CLEAN.encode(), name="news-x")
    out = tmp_path / f"news.{fmt}"
    assert main(["export", "--dataset", "news-x", "--format", fmt, str(out)]) == 0
    assert f"exported dataset news-x (2 sentences, {fmt})" in capsys.readouterr().out
    back = read_corpus(out, fmt=fmt if fmt != "spacy" else "prodigy")
    tokens = ("Ann", "Lee", "visited", "北", "京", ".")
    tags = ("B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O")
    assert [(s.tokens, s.tags) for s in back.sentences] == [
        (tokens, tags),
        (("Bob", "smiled"), ("B-PER", "O")),
    ]


def test_label_studio_export_is_annotated_tasks(lab, tmp_path):
    ds.import_upload("news.conll", CLEAN.encode(), name="news-x")
    out = tmp_path / "news.json"  # the format follows the name
    assert main(["export", "--dataset", "news-x", str(out)]) == 0
    first = json.loads(out.read_text(encoding="utf-8"))[0]
    assert first["data"] == {"text": "Ann Lee visited 北京 ."}  # CJK characters written together
    regions = [r["value"] for r in first["annotations"][0]["result"]]
    assert [(v["start"], v["end"], v["text"], v["labels"]) for v in regions] == [
        (0, 7, "Ann Lee", ["PER"]),
        (16, 18, "北京", ["LOC"]),
    ]


def test_builtin_corpus_and_errors(lab, tmp_path, capsys):
    out = tmp_path / "dev.conll"
    assert main(["export", "--dataset", "builtin:news", "--split", "dev", str(out)]) == 0
    sentences = read_corpus(out).sentences
    assert [s.tokens for s in sentences] == [s.tokens for s in load_builtin("news", "dev")]
    assert main(["export", "--dataset", "nope", str(out)]) == 1
    assert "no dataset 'nope'" in capsys.readouterr().err
    assert main(["export", "--dataset", "builtin:news", str(out), "extra"]) == 2
    assert main(["export", "12"]) == 2  # a run export needs RUN_ID DIR
    assert "RUN_ID DIR" in capsys.readouterr().err


def test_run_export_keeps_its_contract(lab, tmp_path, capsys):
    assert main(["export", "999", str(tmp_path / "out")]) == 1
    assert "no run 999" in capsys.readouterr().err


def _validate(capsys, path: Path, *options: str) -> tuple[int, dict]:
    code = main(["validate", str(path), "--json", *options])
    return code, json.loads(capsys.readouterr().out)["files"][0]


def test_validate_unknown_prefix_repairs(tmp_path, capsys):
    path = tmp_path / "q.conll"
    path.write_text(UNKNOWN, encoding="utf-8")
    code, report = _validate(capsys, path)
    assert code == 1 and not report["usable"] and report["usable_after_repair"]
    assert set(report["repair_choices"]) == {"suggested", "map_to_o"}
    assert "'Q-PER' -> 'B-PER', 'Q-PER' -> 'I-PER'" in report["repair_choices"]["suggested"]
    code, report = _validate(capsys, path, "--unknown-prefix", "suggested")
    assert code == 0 and report["usable"] and report["entities"] == {"PER": 2}
    code, report = _validate(capsys, path, "--unknown-prefix", "map_to_o")
    assert code == 0 and report["entities"] == {"PER": 1}
    repaired = read_corpus(path, unknown_prefix="map_to_o").sentences
    assert [s.tags for s in repaired] == [("O", "O"), ("B-PER", "O", "O")]
    suggested = read_corpus(path, unknown_prefix="suggested").sentences
    assert [s.tags for s in suggested] == [("B-PER", "O"), ("B-PER", "I-PER", "O")]
    assert main(["validate", str(path), "--unknown-prefix", "suggested"]) == 0
    assert "usable" in capsys.readouterr().out


def test_validate_format_override_and_span_policy(tmp_path, capsys):
    path = tmp_path / "spans.txt"  # a .txt name: detected by its first line
    path.write_text('{"text": "NewYork is big", "label": [[0, 3, "LOC"]]}\n', encoding="utf-8")
    code, report = _validate(capsys, path)
    assert (code, report["format"], report["entities"]) == (0, "doccano", {"LOC": 1})
    assert any("snapped" in p["reason"] for p in report["problems"])
    code, report = _validate(capsys, path, "--span-policy", "reject")
    assert code == 1 and any("edge inside the word" in p["reason"] for p in report["problems"])
    code, report = _validate(capsys, path, "--format", "conll")
    assert report["format"] == "conll" and report["entities"] != {"LOC": 1}
