"""Reader for datasets saved with save_to_disk: ClassLabel ids, string tags, split choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.data.readers import detect_format, read_corpus
from engine.data.types import DataError

datasets = pytest.importorskip("datasets", reason="the datasets library is not installed")

NAMES = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def _dataset(rows: list[tuple[list[str], list[int]]]) -> datasets.Dataset:
    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=NAMES)),
        }
    )
    data = {"tokens": [r[0] for r in rows], "ner_tags": [r[1] for r in rows]}
    return datasets.Dataset.from_dict(data, features=features)


@pytest.fixture
def saved_dict(tmp_path: Path) -> Path:
    splits = datasets.DatasetDict(
        train=_dataset([(["Ann", "Lee", "ran"], [1, 2, 0]), (["Rome"], [3])]),
        validation=_dataset([(["Bo", "in", "Oslo"], [1, 0, 3])]),
        test=_dataset([(["x"], [0]), (["Li"], [1])]),
    )
    splits.save_to_disk(str(tmp_path / "ds"))
    return tmp_path / "ds"


def test_dataset_dict_is_detected_and_train_is_the_default(saved_dict):
    assert detect_format(saved_dict) == "hf_disk"
    corpus = read_corpus(saved_dict)
    assert corpus.name == "ds/train"
    assert [s.tags for s in corpus.sentences] == [("B-PER", "I-PER", "O"), ("B-LOC",)]
    assert [s.line for s in corpus.sentences] == [1, 2]  # row numbers


@pytest.mark.parametrize("split", ["validation", "dev"])
def test_dev_and_validation_pick_the_same_split(saved_dict, split):
    corpus = read_corpus(saved_dict, split=split)
    assert corpus.sentences[0].tokens == ("Bo", "in", "Oslo")
    assert corpus.sentences[0].tags == ("B-PER", "O", "B-LOC")


def test_missing_split_lists_the_ones_there(saved_dict):
    with pytest.raises(DataError, match="splits: train, validation, test"):
        read_corpus(saved_dict, split="extra")


def test_single_dataset_with_string_tags(tmp_path):
    ds = datasets.Dataset.from_dict({"tokens": [["Ann", "x"]], "ner_tags": [["B-PER", "O"]]})
    ds.save_to_disk(str(tmp_path / "one"))
    corpus = read_corpus(tmp_path / "one")
    assert corpus.sentences[0].tags == ("B-PER", "O")


def test_plain_int_ids_use_the_callers_labels(tmp_path):
    ds = datasets.Dataset.from_dict({"tokens": [["Ann", "x"]], "ner_tags": [[1, 0]]})
    ds.save_to_disk(str(tmp_path / "ids"))
    assert read_corpus(tmp_path / "ids", labels=NAMES).sentences[0].tags == ("B-PER", "O")
    with pytest.raises(DataError, match="no label list"):
        read_corpus(tmp_path / "ids")


def test_missing_column_is_named(tmp_path):
    datasets.Dataset.from_dict({"words": [["a"]]}).save_to_disk(str(tmp_path / "bad"))
    with pytest.raises(DataError, match="no column 'tokens'"):
        read_corpus(tmp_path / "bad")


def test_damaged_folder_is_a_data_error(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "state.json").write_text("{not json")
    with pytest.raises(DataError, match="cannot load saved dataset"):
        read_corpus(tmp_path / "broken")
