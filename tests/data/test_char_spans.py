"""The shared raw-text tokenisation rule, and entity spans <-> IOB2 tags, with exact offsets."""

from __future__ import annotations

import pytest

from engine.data.char_spans import (
    Entity,
    Token,
    detokenize,
    entities_to_tags,
    tag_ranges,
    tags_to_entities,
    token_range,
    tokenize,
)
from engine.data.readers.offsets import relocate


def spans(text: str) -> list[tuple[str, int, int]]:
    return [(t.text, t.start, t.end) for t in tokenize(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ann Lee, 42.", [("Ann", 0, 3), ("Lee", 4, 7), (",", 7, 8), ("42", 9, 11), (".", 11, 12)]),
        ("don't Jean-Pierre", [("don't", 0, 5), ("Jean-Pierre", 6, 17)]),
        (
            "-x- a--b",
            [("-", 0, 1), ("x", 1, 2), ("-", 2, 3), ("a", 4, 5), ("-", 5, 6)]
            + [("-", 6, 7), ("b", 7, 8)],
        ),
        ("U.S.", [("U", 0, 1), (".", 1, 2), ("S", 2, 3), (".", 3, 4)]),
        (
            "a\r\nb\tc\u00a0d\u3000e",
            [("a", 0, 1), ("b", 3, 4), ("c", 5, 6), ("d", 7, 8)] + [("e", 9, 10)],
        ),
        ("x\u200by\ufeffz", [("x", 0, 1), ("y", 2, 3), ("z", 4, 5)]),
        ("", []),
        (" \r\n\t ", []),
    ],
    ids=["punctuation", "joined words", "lone hyphens", "abbreviation", "blanks", "zero-width"]
    + ["empty", "only blanks"],
)
def test_whitespace_and_punctuation_split(text, expected):
    assert spans(text) == expected


def test_chinese_is_one_token_per_character():
    assert spans("李白出生于碎叶城。") == [
        (ch, i, i + 1) for i, ch in enumerate("李白出生于碎叶城。")
    ]


def test_cjk_next_to_latin_and_kana_and_hangul():
    assert spans("iPhone在東京") == [("iPhone", 0, 6), ("在", 6, 7), ("東", 7, 8), ("京", 8, 9)]
    assert [t.text for t in tokenize("すし한국")] == ["す", "し", "한", "국"]


def test_combining_marks_stay_with_their_base_character():
    text = "Ba\u0301rbara e\u0301 \u0915\u093f\u0924\u093e\u092c"  # Bárbara, é, Hindi किताब
    assert spans(text) == [("Ba\u0301rbara", 0, 8), ("e\u0301", 9, 11), (text[12:], 12, 17)]
    assert spans("東\u0301京") == [("東\u0301", 0, 2), ("京", 2, 3)]


def test_emoji_sequences_are_one_token_each():
    text = "👨\u200d🚒 ok 👍🏽 ❤\ufe0f 🇫🇷🇩🇪"
    assert spans(text) == [
        ("👨\u200d🚒", 0, 3),
        ("ok", 4, 6),
        ("👍🏽", 7, 9),
        ("❤\ufe0f", 10, 12),
        ("🇫🇷", 13, 15),
        ("🇩🇪", 15, 17),
    ]


def test_every_token_is_its_own_slice_of_the_text():
    text = "Zoë Ba\u0301rbara flew from 東京 😀👍🏽 today.\r\nCafé"
    for token in tokenize(text):
        assert text[token.start : token.end] == token.text
        assert token.text.strip() == token.text != ""


def test_token_range_finds_the_tokens_under_a_span():
    tokens = tokenize("Ann Lee visited Rome")
    assert token_range(tokens, 0, 7) == (0, 2)
    assert token_range(tokens, 1, 5) == (0, 2)  # edges inside words: still the words under it
    assert token_range(tokens, 3, 4) is None  # only the space between two words
    assert token_range(tokens, 16, 20) == (3, 4)


def test_entities_to_tags_and_back():
    text = "Ann Lee visited 北京 ."
    tokens = tokenize(text)
    entities = [Entity(0, 7, "PER"), Entity(16, 18, "LOC")]
    tags = entities_to_tags(tokens, entities)
    assert tags == ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O"]
    assert tags_to_entities(tokens, tags) == entities


def test_entities_to_tags_skips_an_entity_overlapping_an_earlier_one():
    tokens = tokenize("New York City")
    tags = entities_to_tags(tokens, [Entity(0, 13, "GPE"), Entity(0, 8, "LOC")])
    assert tags == ["B-GPE", "I-GPE", "I-GPE"]


def test_tags_to_entities_averages_scores_and_reads_orphan_i():
    tokens = [Token("a", 0, 1), Token("b", 2, 3), Token("c", 4, 5)]
    found = tags_to_entities(tokens, ["I-X", "I-X", "B-Y"], scores=[0.5, 1.0, 0.25])
    assert found == [Entity(0, 3, "X", 0.75), Entity(4, 5, "Y", 0.25)]
    assert tag_ranges(["B-X", "I-Y", "O", "I-Y"]) == [("X", 0, 1), ("Y", 1, 2), ("Y", 3, 4)]


def test_detokenize_gives_exact_offsets_and_writes_cjk_together():
    text, tokens = detokenize(["李", "白", "visited", "Rome", "."])
    assert text == "李白 visited Rome ."
    assert [(t.text, t.start, t.end) for t in tokens] == [
        ("李", 0, 1),
        ("白", 1, 2),
        ("visited", 3, 10),
        ("Rome", 11, 15),
        (".", 16, 17),
    ]
    assert [t.text for t in tokenize(text)] == ["李", "白", "visited", "Rome", "."]


def test_relocate_reads_utf16_and_crlf_offsets():
    assert relocate("😀 Paris", 3, 8, "Paris") == (2, 7, "utf16")
    assert relocate("a\r\nParis", 2, 7, "Paris") == (3, 8, "crlf")
    assert relocate("😀\r\nParis", 4, 9, "Paris") == (3, 8, "utf16")
    assert relocate("😀\r\nParis", 3, 8, "Paris") == (3, 8, "utf16+crlf")
    assert relocate("Paris", 0, 5, "Rome") is None
