"""A word-level stand-in tokenizer for meta-learning tests: one id per word, no specials."""

from __future__ import annotations


class WordTokenizer:
    """One id per word, no special tokens: enough of a tokenizer for encode_set."""

    cls_token_id = bos_token_id = sep_token_id = eos_token_id = None
    pad_token_id, unk_token_id = 0, 1

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}

    def __call__(self, sentences, is_split_into_words=True, add_special_tokens=False):
        ids = [[self.vocab.setdefault(w, len(self.vocab) + 2) for w in s] for s in sentences]
        return _Encoding(ids)


class _Encoding(dict):
    def __init__(self, ids):
        super().__init__(input_ids=ids)

    def word_ids(self, i):
        return list(range(len(self["input_ids"][i])))
