"""CoNLL / TSV reader: layout variants parse identically, bad bytes and lines are located."""

from __future__ import annotations

import pytest

from engine.data.readers import read_corpus
from engine.data.readers.conll import parse_conll, read_conll
from engine.data.types import DataError, Sentence

from .conftest import FIXTURES

CLEAN = (FIXTURES / "clean.conll").read_text(encoding="utf-8")
EXPECTED = [
    Sentence(("EU", "rejects", "German", "call", "."), ("B-ORG", "O", "B-MISC", "O", "O"), 1),
    Sentence(("Peter", "Blackburn"), ("B-PER", "I-PER"), 7),
    Sentence(("BRUSSELS", "1996-08-22"), ("B-LOC", "O"), 10),
]


def test_clean_file_parses_to_expected_sentences():
    sentences, problems = read_conll(FIXTURES / "clean.conll")
    assert sentences == EXPECTED
    assert problems == []


def _variants() -> dict[str, bytes]:
    clean = CLEAN.encode("utf-8")
    return {
        "bom": b"\xef\xbb\xbf" + clean,
        "crlf": clean.replace(b"\n", b"\r\n"),
        "bom+crlf": b"\xef\xbb\xbf" + clean.replace(b"\n", b"\r\n"),
        "lone cr": clean.replace(b"\n", b"\r"),
        "spaces": clean.replace(b"\t", b" "),
        "space runs": clean.replace(b"\t", b"   \t  "),
        "trailing blanks": clean.replace(b"\n", b"  \t\n"),
        "leading blanks": b"\n".join(b"  " + line for line in clean.split(b"\n")),
        "tab blank lines": clean.replace(b"\n\n", b"\n\t\n"),
        "space blank lines": clean.replace(b"\n\n", b"\n   \n"),
        "extra blank lines": b"\n\n" + clean.replace(b"\n\n", b"\n\n\n\n") + b"\n\n\n",
        "no final newline": clean.rstrip(b"\n"),
    }


@pytest.mark.parametrize("variant", list(_variants()))
def test_layout_variants_read_the_same_words_and_tags(write, variant):
    path = write("v.conll", _variants()[variant])
    corpus = read_corpus(path)
    got = [(s.tokens, s.tags) for s in corpus.sentences]
    assert got == [(s.tokens, s.tags) for s in EXPECTED]
    assert corpus.problems == []


def test_line_numbers_survive_bom_and_crlf(write):
    path = write("v.conll", b"\xef\xbb\xbf" + CLEAN.encode().replace(b"\n", b"\r\n"))
    assert [s.line for s in read_corpus(path).sentences] == [1, 7, 10]


def test_extra_columns_take_first_as_token_and_last_as_tag():
    sentences, problems = parse_conll("EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n", "f")
    assert sentences == [Sentence(("EU", "rejects"), ("B-ORG", "O"), 1)]
    assert problems == []


def test_docstart_never_becomes_a_token_or_sentence():
    text = "-DOCSTART- -X- O O\n\nA B-PER\n-DOCSTART- O\nB O\n\n-DOCSTART-\n"
    sentences, problems = parse_conll(text, "f")
    assert sentences == [Sentence(("A",), ("B-PER",), 3), Sentence(("B",), ("O",), 5)]
    assert problems == []


def test_only_ascii_blanks_separate_columns():
    # U+00A0 inside a token and U+3000 as a whole token are kept, not split away.
    sentences, _ = parse_conll("New\u00a0York\tB-LOC\n\u3000\tO\n", "f")
    assert sentences[0].tokens == ("New\u00a0York", "\u3000")
    assert sentences[0].tags == ("B-LOC", "O")


def test_one_column_line_is_an_error_with_its_line_number():
    sentences, problems = parse_conll("A\tB-PER\nlonely\nC\tO\n", "f.conll")
    assert [(p.line, p.severity) for p in problems] == [(2, "error")]
    assert "only one column" in problems[0].reason
    assert str(problems[0]).startswith("f.conll:2: ")
    assert [s.tokens for s in sentences] == [("A",), ("C",)]  # the bad line splits the sentence


def test_one_column_lines_are_capped_with_a_summary():
    _, problems = parse_conll("x\n" * 100, "f")
    assert len(problems) == 21
    assert "80 more" in problems[-1].reason


def test_non_utf8_is_rejected_with_file_and_line(write):
    path = write("latin1.conll", "A\tO\n\ncafé\tO\n".encode("latin-1"))
    with pytest.raises(DataError) as caught:
        read_corpus(path)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 3)
    assert "0xe9" in problem.reason and "UTF-8" in problem.reason


def test_utf16_file_is_named_as_such(write):
    path = write("u16.conll", "A\tO\n".encode("utf-16"))
    with pytest.raises(DataError, match="UTF-16"):
        read_corpus(path)


def test_tsv_two_columns_is_read_by_the_same_reader(write):
    path = write("data.tsv", "Obama\tB-PER\nspoke\tO\n")
    corpus = read_corpus(path)
    assert corpus.sentences == [Sentence(("Obama", "spoke"), ("B-PER", "O"), 1)]


def test_long_line_with_many_columns_is_linear():
    line = "tok " + "x " * 10_000 + "B-PER"
    sentences, _ = parse_conll(line, "f")
    assert sentences == [Sentence(("tok",), ("B-PER",), 1)]
