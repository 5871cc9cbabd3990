"""The validator: exact counts on a hand-made file, problems as FILE:LINE, exit codes, JSON."""

from __future__ import annotations

import json

import pytest

from engine.data.builtin import load_builtin
from engine.data.stats import corpus_stats, entity_counts, length_summary, length_unit
from engine.data.types import Sentence
from engine.data.validate import main_validate, validate_paths

from .conftest import FIXTURES

REPORT_FILE = str(FIXTURES / "report.conll")


def test_counts_on_a_hand_made_file():
    (report,) = validate_paths([REPORT_FILE]).files
    assert report.usable
    assert (report.format, report.scheme) == ("conll", "IOB2")
    assert (report.sentences, report.tokens) == (2, 10)
    assert report.entities == {"LOC": 1, "ORG": 1, "PER": 3}
    assert (report.max_length, report.mean_length) == (7, 5.0)
    assert report.problems == []


def test_stats_functions():
    sentences = [
        Sentence(("a", "b", "c"), ("B-X", "I-X", "B-Y"), 1),
        Sentence(("d",), ("O",), 5),
    ]
    assert entity_counts(sentences) == {"X": 1, "Y": 1}
    assert length_summary(sentences) == (3, 2.0)
    assert length_summary([]) == (0, 0.0)
    assert corpus_stats(sentences).entity_total == 2


def test_problems_are_file_line_reason(write):
    path = write("w.txt", "a\tB-X\nb\tI-X\n\nc\tO\nd\tI-Y\ne\tB-Z\n")
    (report,) = validate_paths([str(path)]).files
    assert report.usable
    # One place: the Problem's FILE:LINE says it, the reason does not say it again.
    assert [str(p) for p in report.problems] == [
        f"{path}:5: 1 entities start with a continuation tag and no B- ('I-Y'); converted to B-"
    ]


def test_bad_inputs_become_problems_not_exceptions(tmp_path, write):
    paths = [
        str(tmp_path / "missing.txt"),
        str(tmp_path),
        str(write("latin.txt", "caf\xe9\tO\n".encode("latin-1"))),
        str(write("empty.txt", "")),
        str(write("bad.jsonl", "{oops\n")),
    ]
    report = validate_paths(paths)
    assert [f.usable for f in report.files] == [False] * 5
    reasons = [f.problems[0].reason for f in report.files]
    assert "cannot read file" in reasons[0]
    assert "directory" in reasons[1]
    assert "not valid UTF-8" in reasons[2] and report.files[2].problems[0].line == 1
    assert "no sentences" in reasons[3]
    assert "bad JSON" in reasons[4]
    assert report.exit_code == 1


def test_exit_codes(write, capsys):
    good = str(write("good.txt", "a\tB-X\n"))
    bad = str(write("bad.txt", "lonely\n"))
    assert main_validate([good], as_json=False) == 0
    assert "good.txt: usable" in capsys.readouterr().out
    assert main_validate([good, bad], as_json=False) == 1
    out = capsys.readouterr().out
    assert "bad.txt: NOT USABLE" in out and "2 checked: 1 usable, 1 not" in out
    assert main_validate([], as_json=False) == 1


def test_json_output_keys(write, capsys):
    good = str(write("good.txt", "a\tB-X\nb\tI-X\n\nc\tO\n"))
    assert main_validate([good], as_json=True) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"usable", "exit_code", "files"}
    (entry,) = data["files"]
    assert set(entry) == {
        "path", "split", "format", "scheme", "usable", "sentences", "tokens", "entities",
        "entity_total", "max_length", "mean_length", "unit", "errors", "warnings", "problems",
        "repair_choices", "usable_after_repair",
    }  # fmt: skip
    assert (entry["sentences"], entry["tokens"], entry["entities"]) == (2, 3, {"X": 1})
    assert (entry["errors"], entry["warnings"], entry["problems"]) == (0, 0, [])
    assert (entry["unit"], entry["repair_choices"], entry["usable_after_repair"]) == (
        "words",
        {},
        False,
    )


def test_json_problem_entries(write, capsys):
    bad = str(write("bad.txt", "a\tB-X\nlonely\n"))
    assert main_validate([bad], as_json=True) == 1
    (problem,) = json.loads(capsys.readouterr().out)["files"][0]["problems"]
    assert problem == {
        "file": bad,
        "line": 2,
        "severity": "error",
        "reason": "only one column ('lonely'); expected TOKEN ... TAG",
        "text": f"{bad}:2: only one column ('lonely'); expected TOKEN ... TAG",
    }


def test_saved_dataset_dict_reports_each_split(tmp_path):
    datasets = pytest.importorskip("datasets", reason="the datasets library is not installed")
    rows = {"tokens": [["Ann", "x"]], "ner_tags": [["B-PER", "O"]]}
    splits = datasets.DatasetDict(
        train=datasets.Dataset.from_dict(rows), test=datasets.Dataset.from_dict(rows)
    )
    splits.save_to_disk(str(tmp_path / "ds"))
    report = validate_paths([str(tmp_path / "ds")])
    assert [(f.split, f.format, f.sentences, f.usable) for f in report.files] == [
        ("train", "hf_disk", 1, True),
        ("test", "hf_disk", 1, True),
    ]


def _chars(*texts: str) -> list[Sentence]:
    return [Sentence(tuple(text), ("O",) * len(text), 1) for text in texts]


def test_length_unit_is_characters_for_char_per_token_chinese():
    assert corpus_stats(load_builtin("zh_news", "train")).unit == "characters"
    assert corpus_stats(load_builtin("news", "train")).unit == "words"
    # Char-per-token Chinese with some digits and punctuation (one character each) is still
    # character data; Japanese kana and Korean syllables count as CJK too.
    assert length_unit(_chars("黄志的新书在西安市首发。", "2024年，3个人")) == "characters"
    assert length_unit(_chars("ひらがなカタカナ", "한국어문장")) == "characters"


def test_length_unit_is_words_for_segmented_chinese_and_latin_letters():
    segmented = [Sentence(("黄志", "的", "新书", "在", "西安市", "首发", "。"), ("O",) * 7, 1)]
    assert length_unit(segmented) == "words"  # 4 of 7 tokens are one character
    assert length_unit(_chars("abcdefgh")) == "words"  # one letter a token, but not CJK
    assert length_unit([]) == "words"


def test_validate_reports_the_unit(write, capsys):
    path = str(write("zh.txt", "黄 B-PER\n志 I-PER\n到 O\n了 O\n"))
    (report,) = validate_paths([path]).files
    assert (report.unit, report.max_length) == ("characters", 4)
    assert main_validate([path], as_json=False) == 0
    assert "sentence length (characters): max 4, mean 4.0" in capsys.readouterr().out
    assert main_validate([path], as_json=True) == 0
    assert json.loads(capsys.readouterr().out)["files"][0]["unit"] == "characters"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"tokens": ["abc', "bad JSON: Unterminated string starting at column 13"),
        ('{"tokens": ["a\x01"]}', "bad JSON: Invalid control character at column 15"),
        ('{"tokens": ["a"], ', "bad JSON: Expecting property name enclosed in double quotes "
         "at column 19"),
    ],
)  # fmt: skip
def test_json_errors_say_at_once(write, text, reason):
    (report,) = validate_paths([str(write("bad.jsonl", text + "\n"))]).files
    assert [(p.line, p.reason) for p in report.problems][0] == (1, reason)
    assert "at at" not in reason


def test_label_file_json_errors_name_the_column(write):
    write("labels.json", '["O", "B-PER')
    path = write("ids.jsonl", '{"tokens": ["a"], "ner_tags": [0]}\n')
    (report,) = validate_paths([str(path)]).files
    (problem,) = report.problems
    assert (problem.file, problem.line) == (str(path.parent / "labels.json"), 1)
    assert problem.reason == "bad JSON: Unterminated string starting at column 7"


def test_a_warning_never_repeats_its_own_location(write):
    # JSONL: both orphans are on line 1, which the Problem already says.
    tags = ["B-Z", "B-Z", "B-Z", "O", "I-X", "O", "I-Y"]  # more B- starts than I-: IOB2
    line = json.dumps({"tokens": list("abcdefg"), "ner_tags": tags})
    path = write("w.jsonl", line + "\n")
    (report,) = validate_paths([str(path)]).files
    (problem,) = report.problems
    assert (problem.line, problem.severity) == (1, "warning")
    assert problem.reason == (
        "2 entities start with a continuation tag and no B- ('I-X', 'I-Y'); converted to B-"
    )
    # CoNLL, seven places: the first is the Problem's line, the next four are listed, then "...".
    starts = "z B-Z\n\n" * 8  # lines 1-15; more B- starts than I-: IOB2
    conll = write("w.txt", starts + "".join(f"w{i} I-X\n\n" for i in range(7)))
    (problem,) = validate_paths([str(conll)]).files[0].problems
    assert problem.line == 17
    assert problem.reason.endswith("(also at w.txt:19, w.txt:21, w.txt:23, w.txt:25, ...)")
