"""Sub-token alignment and windowing as pure functions, on a fake word-piece tokenizer."""

from engine.data.alignment import IGNORE, encode_sentences, gather_word_predictions, split_windows
from engine.data.types import Sentence


class FakeEncoding(dict):
    def __init__(self, ids, words):
        super().__init__(input_ids=ids)
        self._words = words

    def word_ids(self, i):
        return self._words[i]


class FakeTokenizer:
    """Splits a word into pieces of 3 characters; id = 1000 + len(piece); empty word -> none."""

    cls_token_id, sep_token_id, pad_token_id, unk_token_id = 101, 102, 0, 100
    bos_token_id = eos_token_id = None

    def __call__(self, sentences, is_split_into_words, add_special_tokens):
        ids, words = [], []
        for sent in sentences:
            s_ids, s_words = [], []
            for w_i, word in enumerate(sent):
                for k in range(0, len(word), 3):
                    s_ids.append(1000 + len(word[k : k + 3]))
                    s_words.append(w_i)
            ids.append(s_ids)
            words.append(s_words)
        return FakeEncoding(ids, words)


LABELS = {"O": 0, "B-PER": 1, "I-PER": 2}


def test_first_subtoken_gets_the_label_rest_ignored():
    sent = Sentence(("Alexander", "is", "here"), ("B-PER", "O", "O"))
    (win,) = encode_sentences([sent], FakeTokenizer(), LABELS, max_length=64)
    assert win.input_ids == (101, 1003, 1003, 1003, 1002, 1003, 1001, 102)
    assert win.labels == (IGNORE, 1, IGNORE, IGNORE, 0, 0, IGNORE, IGNORE)
    assert win.words == (0, 1, 2)


def test_word_with_no_pieces_gets_unknown_token():
    sent = Sentence(("Bo", "", "x"), ("B-PER", "O", "O"))
    (win,) = encode_sentences([sent], FakeTokenizer(), LABELS, max_length=64)
    assert win.input_ids == (101, 1002, 100, 1001, 102)
    assert win.labels == (IGNORE, 1, 0, 0, IGNORE)


def test_long_sentence_is_windowed_not_truncated():
    words = tuple(f"w{i:02d}x" for i in range(50))  # 2 pieces each
    sent = Sentence(words, ("O",) * 50)
    wins = encode_sentences([sent], FakeTokenizer(), LABELS, max_length=12)  # 10 pieces -> 5 words
    assert len(wins) == 10
    assert all(w.length <= 12 for w in wins)
    assert [i for w in wins for i in w.words] == list(range(50))
    preds = [[3] * len(w.words) for w in wins]
    assert gather_word_predictions(wins, preds, [50]) == [[3] * 50]


def test_split_windows_keeps_overlong_word_alone():
    assert split_windows([[1] * 2, [1] * 30, [1] * 2], budget=10) == [(0, 1), (1, 2), (2, 3)]
    assert split_windows([], budget=10) == []
    assert split_windows([[1], [1], [1]], budget=2) == [(0, 2), (2, 3)]


def test_overlong_word_is_cut_to_budget_but_labelled():
    sent = Sentence(("a" * 40,), ("B-PER",))
    (win,) = encode_sentences([sent], FakeTokenizer(), LABELS, max_length=6)
    assert win.length == 6 and win.labels[1] == 1
