"""Task streams: type plans (order, FG-a-PG-b), disjoint sentence assignment, background shift,
the fully-labelled switch, and domain streams from built-ins, folders and file mappings."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import ConfigError, DataConfig, DomainData, TaskStreamConfig, parse_config
from engine.data.builtin import load_builtin
from engine.data.tasks import (
    assign_to_tasks,
    build_stream,
    class_incremental,
    domain_incremental,
    keep_types,
    plan_type_tasks,
    sentence_types,
)
from engine.data.types import DataError, Sentence

TYPES = ["EVENT", "LOC", "NORP", "ORG", "PER"]


def test_default_plan_is_one_sorted_type_per_task():
    assert plan_type_tasks(["PER", "LOC", "ORG"]) == [["LOC"], ["ORG"], ["PER"]]


def test_fg_a_pg_b():
    assert plan_type_tasks(TYPES, first_types=1, types_per_task=2) == [
        ["EVENT"],
        ["LOC", "NORP"],
        ["ORG", "PER"],
    ]
    assert plan_type_tasks(TYPES, first_types=3, types_per_task=1) == [
        ["EVENT", "LOC", "NORP"],
        ["ORG"],
        ["PER"],
    ]
    assert plan_type_tasks(TYPES, types_per_task=2) == [["EVENT", "LOC"], ["NORP", "ORG"], ["PER"]]
    with pytest.raises(ValueError, match="first_types=6"):
        plan_type_tasks(TYPES, first_types=6)


def test_seeded_type_order_is_a_repeatable_permutation():
    a = plan_type_tasks(TYPES, shuffle_seed=3)
    assert a == plan_type_tasks(TYPES, shuffle_seed=3)
    assert sorted(x for task in a for x in task) == TYPES


def test_explicit_order_must_name_known_types():
    assert plan_type_tasks(TYPES, order=[["PER"], ["LOC", "ORG"]]) == [["PER"], ["LOC", "ORG"]]
    with pytest.raises(ValueError, match="MONEY"):
        plan_type_tasks(TYPES, order=[["PER"], ["MONEY"]])


@pytest.fixture(scope="module")
def news():
    return load_builtin("news", "train")[:600], load_builtin("news", "test")[:100]


def test_every_sentence_is_in_exactly_one_task_that_contains_its_types(news):
    train, _ = news
    plan = plan_type_tasks(TYPES, first_types=1, types_per_task=2)
    assigned = assign_to_tasks(train, plan, seed=1)
    flat = [i for ids in assigned for i in ids]
    assert sorted(flat) == list(range(len(train)))
    for t, ids in enumerate(assigned):
        for i in ids:
            present = sentence_types(train[i])
            assert not present or present & set(plan[t])
    sizes = [len(ids) for ids in assigned]
    assert max(sizes) - min(sizes) < 0.5 * max(sizes)  # roughly balanced


def test_background_shift_relabels_exactly_the_other_types(news):
    train, test = news
    plan = [["PER"], ["LOC", "ORG"], ["EVENT"]]
    stream = class_incremental(train, test[:50], test, plan, seed=1)
    seen_ids = set()
    for task in stream.tasks:
        assert len(task.train) == len(task.train_gold)
        for shown, gold in zip(task.train, task.train_gold, strict=True):
            seen_ids.add(id(gold))
            assert shown.tokens == gold.tokens
            for s_tag, g_tag in zip(shown.tags, gold.tags, strict=True):
                if g_tag != "O" and g_tag[2:] in task.types:
                    assert s_tag == g_tag
                else:
                    assert s_tag == "O"
        assert all(sentence_types(s) <= set(task.types) for s in task.dev)
    # every sentence once; NORP (in no task) is O everywhere
    assert len(seen_ids) == len(train)
    assert all("NORP" not in sentence_types(s) for task in stream.tasks for s in task.train)
    # one shared, fully annotated test set
    assert all(task.test is stream.tasks[0].test for task in stream.tasks)
    assert stream.tasks[0].test == test
    assert stream.types_until(1) == ["PER", "LOC", "ORG"]


def test_fully_labelled_keeps_earlier_types_but_not_later_ones(news):
    train, test = news
    plan = [["PER"], ["LOC"], ["ORG"]]
    stream = class_incremental(train, test, test, plan, fully_labelled=True, seed=1)
    assert [t.labelled for t in stream.tasks] == [("PER",), ("PER", "LOC"), ("PER", "LOC", "ORG")]
    task1 = stream.tasks[1]
    for shown, gold in zip(task1.train, task1.train_gold, strict=True):
        assert shown == keep_types(gold, ["PER", "LOC"])
    assert any("PER" in sentence_types(s) for s in task1.train)
    assert not any("ORG" in sentence_types(s) for s in task1.train)


def test_build_stream_from_the_config_with_a_cap_per_task():
    cfg = TaskStreamConfig(first_types=1, types_per_task=2, max_train_sentences=40)
    stream = build_stream(cfg, DataConfig(train="builtin:news"), seed=5)
    assert [t.types for t in stream.tasks] == [("EVENT",), ("LOC", "NORP"), ("ORG", "PER")]
    assert [len(t.train) for t in stream.tasks] == [40, 40, 40]
    assert stream.by == "types" and len(stream.tasks[0].test) == 200
    ids = [id(s) for t in stream.tasks for s in t.train_gold]
    assert len(ids) == len(set(ids))


def test_domain_stream_from_builtins():
    stream = domain_incremental(["builtin:news", "builtin:science"], max_train_sentences=30)
    news, science = stream.tasks
    assert news.types == ("EVENT", "LOC", "NORP", "ORG", "PER")
    assert science.types == ("CHEM", "DISEASE", "GENE", "ORG", "PER")
    assert news.test == load_builtin("news", "test") and science.test == load_builtin(
        "science", "test"
    )
    assert len(news.train) == 30 and news.train == news.train_gold
    assert stream.types_until(1) == [
        "EVENT",
        "LOC",
        "NORP",
        "ORG",
        "PER",
        "CHEM",
        "DISEASE",
        "GENE",
    ]


def _write_conll(path: Path, sentences: list[list[tuple[str, str]]]) -> Path:
    path.write_text("\n\n".join("\n".join(f"{w}\t{t}" for w, t in s) for s in sentences) + "\n")
    return path


ONE = [[("Ann", "B-PER"), ("ran", "O")], [("Bob", "B-PER"), ("Lee", "I-PER")]]
TWO = [[("Oslo", "B-LOC"), ("is", "O")], [("Rome", "B-LOC"), ("too", "O")]]


def test_domain_stream_from_a_folder_and_a_file_mapping(tmp_path):
    folder = tmp_path / "people"
    folder.mkdir()
    for split in ("train", "dev", "test"):
        _write_conll(folder / f"{split}.txt", ONE)
    places = DomainData(
        train=str(_write_conll(tmp_path / "p_train.conll", TWO * 5)),
        test=str(_write_conll(tmp_path / "p_test.conll", TWO)),
    )
    stream = domain_incremental([str(folder), places], seed=0)
    assert [t.types for t in stream.tasks] == [("PER",), ("LOC",)]
    assert len(stream.tasks[0].dev) == 2
    assert len(stream.tasks[1].dev) == 1 and len(stream.tasks[1].train) == 9  # 10% held out
    assert any("held out" in note for note in stream.notes)


def test_domain_folder_without_test_file_is_refused(tmp_path):
    _write_conll(tmp_path / "train.txt", ONE)
    with pytest.raises(DataError, match="train and test files"):
        domain_incremental([str(tmp_path)])


def test_stream_config_errors_name_the_field():
    with pytest.raises(ConfigError, match=r"strategy\.tasks\.order: type 'PER' is in two tasks"):
        parse_config({"strategy": {"kind": "continual", "tasks": {"order": [["PER"], ["PER"]]}}})
    with pytest.raises(ConfigError, match="needs a list of datasets"):
        parse_config({"strategy": {"kind": "continual", "tasks": {"by": "datasets"}}})
    with pytest.raises(ConfigError, match="only used with by: datasets"):
        parse_config({"strategy": {"kind": "continual", "tasks": {"datasets": ["builtin:news"]}}})
    cfg = parse_config(
        {
            "strategy": {
                "kind": "continual",
                "tasks": {
                    "by": "datasets",
                    "datasets": ["builtin:news", {"train": "a", "test": "b"}],
                },
            }
        }
    )
    assert isinstance(cfg.strategy.tasks.datasets[1], DomainData)


def test_keep_types_returns_the_same_sentence_when_nothing_changes():
    s = Sentence(("Ann", "ran"), ("B-PER", "O"))
    assert keep_types(s, ["PER"]) is s
    assert keep_types(s, ["LOC"]).tags == ("O", "O")


def test_a_task_without_sentences_of_its_types_is_refused():
    train = [Sentence(("Ann",), ("B-PER",)), Sentence(("x",), ("O",))]
    with pytest.raises(DataError, match=r"task 1 \(LOC\) got no training sentence"):
        class_incremental(train, [], [], [["PER"], ["LOC"]])
