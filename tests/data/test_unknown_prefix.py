"""A tag whose one-letter prefix no scheme uses ("Q-PER") is an error with FILE:LINE and the tag
it most likely meant, never an entity type of its own; the user repairs it to that tag or to O."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.data.readers import inspect_corpus, read_corpus
from engine.data.schemes import (
    SHOWN_UNKNOWN,
    Tag,
    convert_to_iob2,
    find_unknown_prefixes,
    parse_tag,
    resolve_unknown_prefixes,
)
from engine.data.types import DataError, Sentence
from engine.data.validate import validate_file, validate_paths

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"

# Line 2: "Blackburn Q-PER" after an O word (meant B-PER); line 6: after "Jack B-PER" (I-PER);
# line 10: "X-FOO" after "B-FOO" (I-FOO), followed by an I-FOO that continues it.
TYPO_FILE = (
    "Mr O\nBlackburn Q-PER\nspoke O\n\n"
    "Jack B-PER\nBlackburn Q-PER\nsaid O\n\n"
    "a B-FOO\nb X-FOO\nc I-FOO\nd O\n"
)
CLEAN_FILE = "Jack B-PER\nBlackburn I-PER\nsaid O\n\nin O\nParis B-LOC\n"


def _reason(letter: str, written: str, suggested: str) -> str:
    return (
        f"unknown tag prefix {letter!r} in {written!r} (prefixes are B I O E S L U M); "
        f"did you mean {suggested!r}?"
    )


def _tags(sentences: list[Sentence]) -> list[str]:
    return [" ".join(s.tags) for s in sentences]


@pytest.fixture
def typo(write) -> Path:
    return write("typo.txt", TYPO_FILE)


def test_each_unknown_prefix_is_an_error_at_its_line_naming_the_likely_tag(typo):
    (report,) = validate_paths([str(typo)]).files
    assert not report.usable and report.usable_after_repair
    errors = [(p.file, p.line, p.severity, p.reason) for p in report.problems]
    assert errors == [
        (str(typo), 2, "error", _reason("Q", "Q-PER", "B-PER")),
        (str(typo), 6, "error", _reason("Q", "Q-PER", "I-PER")),
        (str(typo), 10, "error", _reason("X", "X-FOO", "I-FOO")),
    ]
    # No "Q-PER" or "X-FOO" type beside PER and FOO.
    assert set(report.entities) == {"FOO", "PER"}
    assert report.scheme == "IOB2"


def test_suggestions_are_data_too(typo):
    corpus = inspect_corpus(typo)
    found = find_unknown_prefixes(corpus.sentences)
    assert [(u.sentence, u.word, u.line, u.written, u.suggested) for u in found] == [
        (0, 1, 2, "Q-PER", "B-PER"),
        (1, 1, 6, "Q-PER", "I-PER"),
        (2, 1, 10, "X-FOO", "I-FOO"),
    ]
    # Until a repair is chosen the tags stay as written, and the rest is converted as if the
    # suggestion had been written ("c I-FOO" continues the entity of "b X-FOO").
    assert _tags(corpus.sentences) == ["O Q-PER O", "B-PER Q-PER O", "B-FOO X-FOO I-FOO O"]


def test_validate_cli_exits_1_and_names_file_line_and_tag(typo):
    python = str(VENV_PYTHON if VENV_PYTHON.exists() else sys.executable)
    done = subprocess.run(
        [python, "-m", "engine", "validate", str(typo)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{typo}: NOT USABLE" in done.stdout
    assert f"error: {typo}:2: {_reason('Q', 'Q-PER', 'B-PER')}" in done.stdout
    assert f"error: {typo}:10: {_reason('X', 'X-FOO', 'I-FOO')}" in done.stdout
    assert "repair on offer: suggested: repair 3 tags with an unknown prefix" in done.stdout
    assert "repair on offer: map_to_o: map 3 tags with an unknown prefix to O" in done.stdout


def test_validate_cli_json_lists_the_repair_choices(typo):
    python = str(VENV_PYTHON if VENV_PYTHON.exists() else sys.executable)
    done = subprocess.run(
        [python, "-m", "engine", "validate", "--json", str(typo)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    (entry,) = json.loads(done.stdout)["files"]
    assert (entry["usable"], entry["usable_after_repair"], entry["errors"]) == (False, True, 3)
    assert list(entry["repair_choices"]) == ["suggested", "map_to_o"]
    assert entry["repair_choices"]["suggested"] == (
        "repair 3 tags with an unknown prefix to the suggested tag "
        "('Q-PER' -> 'B-PER', 'Q-PER' -> 'I-PER', 'X-FOO' -> 'I-FOO')"
    )


def test_reading_for_training_refuses_the_file(typo):
    with pytest.raises(DataError, match=r"typo.txt:2: unknown tag prefix 'Q' in 'Q-PER'"):
        read_corpus(typo)


def test_repair_to_the_suggested_tag(typo):
    corpus = resolve_unknown_prefixes(inspect_corpus(typo), "suggested", source=str(typo))
    assert _tags(corpus.sentences) == ["O B-PER O", "B-PER I-PER O", "B-FOO I-FOO I-FOO O"]
    (warning,) = corpus.problems
    assert (warning.file, warning.line, warning.severity) == (str(typo), 2, "warning")
    assert warning.reason == (
        "3 tags with an unknown prefix ('Q-PER', 'X-FOO') repaired to the suggested B-/I- tag "
        "(also at typo.txt:6, typo.txt:10)"
    )
    report = validate_file(str(typo), unknown_prefix="suggested")
    assert report.usable and not report.usable_after_repair
    assert report.entities == {"FOO": 1, "PER": 2}
    assert [p.severity for p in report.problems] == ["warning"]


def test_repair_to_o(typo):
    corpus = resolve_unknown_prefixes(inspect_corpus(typo), "map_to_o", source=str(typo))
    # The I-FOO after the tag now O starts an entity of its own.
    assert _tags(corpus.sentences) == ["O O O", "B-PER O O", "B-FOO O B-FOO O"]
    (warning,) = corpus.problems
    assert (warning.line, warning.severity) == (2, "warning")
    assert warning.reason.startswith("3 tags with an unknown prefix ('Q-PER', 'X-FOO') mapped to O")
    report = validate_file(str(typo), unknown_prefix="map_to_o")
    assert report.usable
    assert report.entities == {"FOO": 2, "PER": 1}


def test_reject_keeps_the_errors_and_a_bad_policy_is_refused(typo):
    corpus = inspect_corpus(typo)
    assert resolve_unknown_prefixes(corpus, "reject") is corpus
    with pytest.raises(ValueError, match="unknown-prefix policy must be one of"):
        resolve_unknown_prefixes(corpus, "ignore")  # type: ignore[arg-type]


def test_a_clean_iob2_file_has_no_problem_and_no_repair_on_offer(write):
    path = write("clean.txt", CLEAN_FILE)
    (report,) = validate_paths([str(path)]).files
    assert report.usable and report.problems == []
    assert report.repair_choices == {} and not report.usable_after_repair
    assert report.entities == {"LOC": 1, "PER": 1}
    corpus = inspect_corpus(path)
    assert find_unknown_prefixes(corpus.sentences) == []
    assert resolve_unknown_prefixes(corpus, "suggested") is corpus


def test_jsonl_reports_the_sentence_line(write):
    rows = [
        {"tokens": ["Ann", "Lee"], "ner_tags": ["B-PER", "I-PER"]},
        {"tokens": ["Jack", "Blackburn", "said"], "ner_tags": ["B-PER", "Q-PER", "O"]},
    ]
    path = write("typo.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    (report,) = validate_paths([str(path)]).files
    (problem,) = report.problems
    assert (problem.file, problem.line, problem.severity) == (str(path), 2, "error")
    assert problem.reason == _reason("Q", "Q-PER", "I-PER")
    repaired = validate_file(str(path), unknown_prefix="suggested")
    assert repaired.usable and repaired.entities == {"PER": 2}


def test_lower_case_and_other_schemes():
    assert parse_tag("q-per") == Tag("q", "per", "unknown prefix")
    # "O-", the separator "_" and longer prefixes are not this error (see test_parse_tag).
    assert parse_tag("Q_PER") == Tag("", "Q_PER", "unprefixed")
    # In an IOBES file the unknown tag is no evidence of another scheme: no "mixed" warning.
    sentences = [Sentence(("a", "b", "c", "d"), ("B-PER", "E-PER", "O", "Z-LOC"), 1)]
    result = convert_to_iob2(sentences, source="f")
    assert result.scheme == "IOBES"
    ((line, reason),) = [(p.line, p.reason) for p in result.problems]
    assert (line, reason) == (4, _reason("Z", "Z-LOC", "B-LOC"))
    assert [u.suggested for u in result.unknown_prefixes] == ["B-LOC"]


def test_many_unknown_tags_are_capped_with_one_summary():
    sentences = [Sentence(("a",), ("Q-PER",), 2 * i + 1) for i in range(SHOWN_UNKNOWN + 5)]
    problems = convert_to_iob2(sentences, source="f").problems
    assert len(problems) == SHOWN_UNKNOWN + 1
    assert all(p.severity == "error" for p in problems)
    assert (problems[-1].line, problems[-1].reason) == (
        0,
        "... and 5 more tags with an unknown tag prefix",
    )
