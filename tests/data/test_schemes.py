"""Scheme detection and conversion to IOB2, on hand-made tag sequences with exact answers."""

from __future__ import annotations

import pytest

from engine.data.schemes import Tag, convert_to_iob2, detect_scheme, parse_tag
from engine.data.types import Sentence


def _sentences(*rows: str, first_line: int = 1) -> list[Sentence]:
    out, line = [], first_line
    for row in rows:
        tags = tuple(row.split())
        out.append(Sentence(tuple(f"w{i}" for i in range(len(tags))), tags, line))
        line += len(tags) + 1  # CoNLL layout: one word a line, a blank line between
    return out


def _tags(sentences: list[Sentence]) -> list[str]:
    return [" ".join(s.tags) for s in sentences]


CASES = {
    "IOB2": (
        ["B-PER I-PER O B-LOC", "B-PER B-PER I-PER O"],
        ["B-PER I-PER O B-LOC", "B-PER B-PER I-PER O"],
    ),
    "IOB1": (
        ["I-PER I-PER O I-LOC", "I-PER B-PER I-PER O I-ORG I-ORG"],
        ["B-PER I-PER O B-LOC", "B-PER B-PER I-PER O B-ORG I-ORG"],
    ),
    "IOBES": (
        ["B-PER I-PER E-PER O S-LOC", "S-PER S-PER B-ORG E-ORG"],
        ["B-PER I-PER I-PER O B-LOC", "B-PER B-PER B-ORG I-ORG"],
    ),
    "BILOU": (
        ["B-PER I-PER L-PER O U-LOC", "U-PER U-PER B-ORG L-ORG"],
        ["B-PER I-PER I-PER O B-LOC", "B-PER B-PER B-ORG I-ORG"],
    ),
    "BMES": (
        ["B-PER M-PER E-PER O S-LOC", "B-ORG E-ORG S-ORG"],
        ["B-PER I-PER I-PER O B-LOC", "B-ORG I-ORG B-ORG"],
    ),
    "IO": (["PER PER O LOC", "ORG O"], ["B-PER I-PER O B-LOC", "B-ORG O"]),
    "none": (["O O", "O"], ["O O", "O"]),
}


@pytest.mark.parametrize("scheme", list(CASES))
def test_each_scheme_is_detected_and_converted_exactly(scheme):
    written, expected = CASES[scheme]
    result = convert_to_iob2(_sentences(*written), source="f")
    assert result.scheme == scheme
    assert detect_scheme(_sentences(*written)) == scheme
    assert _tags(result.sentences) == expected
    # Well-formed input needs no repair; IO gets one note about merging neighbours.
    assert [p for p in result.problems if "IO scheme" not in p.reason] == []


def test_conversion_keeps_tokens_and_lines():
    sentences = _sentences("S-PER O", first_line=7)
    converted = convert_to_iob2(sentences).sentences[0]
    assert (converted.tokens, converted.line) == (sentences[0].tokens, 7)


def test_i_without_b_in_iob2_is_repaired_counted_and_located():
    sentences = _sentences(
        "B-PER I-PER O I-LOC", "O I-PER I-PER", "B-ORG I-ORG O I-PER", "B-LOC O B-PER"
    )
    result = convert_to_iob2(sentences, source="data/train.txt")
    assert result.scheme == "IOB2"  # 4 B- starts outnumber 3 I- starts: IOB2 with errors
    assert _tags(result.sentences) == [
        "B-PER I-PER O B-LOC",
        "O B-PER I-PER",
        "B-ORG I-ORG O B-PER",
        "B-LOC O B-PER",
    ]
    (problem,) = result.problems
    assert problem.severity == "warning"
    assert problem.reason.startswith("3 entities start with a continuation tag")
    # word 4 of the sentence on line 1, word 2 of line 6, word 4 of line 10
    assert problem.line == 4
    # The Problem's own FILE:LINE is the first place; the reason names only the others.
    assert problem.reason.endswith("(also at train.txt:7, train.txt:13)")
    assert "train.txt:4" not in problem.reason


def test_word_lines_false_reports_the_sentence_line():
    sentences = [Sentence(("a", "b", "c"), ("B-X", "O", "I-X"), 5)]
    (problem,) = convert_to_iob2(sentences, source="f", word_lines=False).problems
    assert problem.line == 5


def test_orphan_end_tags_in_iobes_are_repaired():
    result = convert_to_iob2(_sentences("O E-PER S-LOC I-ORG E-ORG"))
    assert _tags(result.sentences) == ["O B-PER B-LOC B-ORG I-ORG"]
    assert result.scheme == "IOBES"
    assert "2 entities start with a continuation tag" in result.problems[0].reason


def test_unprefixed_tags_among_iob2_are_repaired_and_counted():
    result = convert_to_iob2(_sentences("B-PER I-PER O LOC LOC", "ORG O B-ORG"), source="f")
    assert _tags(result.sentences) == ["B-PER I-PER O B-LOC I-LOC", "B-ORG O B-ORG"]
    assert result.scheme == "IOB2"
    (problem,) = result.problems
    assert problem.reason.startswith("3 tags have no B-/I- prefix ('LOC', 'ORG')")


def test_non_standard_prefixes_and_o_variants_are_normalised():
    result = convert_to_iob2(_sentences("b-PER i_PER o B_LOC 0 I-LOC"), source="f")
    assert _tags(result.sentences) == ["B-PER I-PER O B-LOC O B-LOC"]
    reasons = [p.reason for p in result.problems]
    assert any(r.startswith("3 tags in a non-standard form") for r in reasons)
    assert any(r.startswith("2 tags like 'o', '0' read as O") for r in reasons)


def test_types_with_hyphens_dots_and_lower_case_are_kept():
    result = convert_to_iob2(_sentences("B-creative-work I-creative-work B-PER.NAM"))
    assert _tags(result.sentences) == ["B-creative-work I-creative-work B-PER.NAM"]


@pytest.mark.parametrize(
    ("written", "scheme"),
    [
        ("B-PER I-PER O S-LOC O B-ORG", "mixed: IOB2+IOBES"),
        ("S-PER O U-LOC", "mixed: IOBES+BILOU"),
        ("B-PER M-PER E-PER O B-LOC I-LOC", "mixed: IOB2+BMES"),
    ],
)
def test_mixed_schemes_are_reported(written, scheme):
    result = convert_to_iob2(_sentences(written), source="f")
    assert result.scheme == scheme
    mixed = [p for p in result.problems if "mixed" in p.reason]
    assert len(mixed) == 1 and mixed[0].severity == "warning"
    assert "converted to IOB2" in mixed[0].reason


def test_mixed_conversion_is_still_exact():
    result = convert_to_iob2(_sentences("B-PER I-PER O S-LOC B-ORG E-ORG B-X"))
    assert _tags(result.sentences) == ["B-PER I-PER O B-LOC B-ORG I-ORG B-X"]


@pytest.mark.parametrize(
    ("written", "kind"),
    [("B-", "no type"), ("  ", "empty"), ("B-corporation,B-person", "multi"), ("3", "numeric")],
)
def test_unusable_tags_are_errors(written, kind):
    assert parse_tag(written) == kind
    sentences = [Sentence(("a",), (written,), 3)]
    (problem,) = convert_to_iob2(sentences, source="f").problems
    assert (problem.severity, problem.line) == ("error", 3)


@pytest.mark.parametrize(
    ("written", "tag"),
    [
        ("O", Tag("O")),
        ("B-PER", Tag("B", "PER")),
        ("s_LOC", Tag("S", "LOC", "prefix form")),
        ("PER", Tag("", "PER", "unprefixed")),
        ("X-PER", Tag("X", "PER", "unknown prefix")),
        ("q-per", Tag("q", "per", "unknown prefix")),
        ("X_PER", Tag("", "X_PER", "unprefixed")),
        ("XY-PER", Tag("", "XY-PER", "unprefixed")),
    ],
)
def test_parse_tag(written, tag):
    assert parse_tag(written) == tag
