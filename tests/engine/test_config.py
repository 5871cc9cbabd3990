"""The run config: defaults, overrides, and rejections that name the field."""

import pytest

from engine.config import ConfigError, load_config, parse_config


def test_defaults_are_complete_and_round_trip():
    cfg = parse_config({})
    assert cfg.backbone == "minilm-l6"
    assert cfg.strategy.kind == "finetune" and cfg.strategy.mode == "full"
    assert cfg.train.device == "auto"
    assert parse_config(cfg.to_dict()) == cfg


def test_overrides_parse_yaml_values(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ntrain:\n  epochs: 5\n")
    cfg = load_config(
        path,
        ["train.epochs=2", "train.lr=3e-4", "strategy.mode=lora", "train.group_by_length=false"],
    )
    assert cfg.train.epochs == 2
    assert cfg.train.lr == pytest.approx(3e-4)
    assert cfg.strategy.mode == "lora"
    assert cfg.train.group_by_length is False


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.epochs=0", "train.epochs"),
        ("train.bogus=1", "train.bogus: unknown key"),
        ("nonsense=1", "nonsense: unknown key"),
        ("strategy.mode=partial", "strategy.mode"),
        ("strategy.kind=alchemy", "unknown kind 'alchemy'"),
        ("train.device=tpu", "train.device"),
    ],
)
def test_bad_values_name_the_field(override, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_config(None, [override])


def test_bad_yaml_and_missing_file_are_clear(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="key.path=value"):
        load_config(None, ["novalue"])


def test_base_config_is_not_mutated():
    base = {"train": {"epochs": 4}}
    cfg = load_config(None, ["train.epochs=1"], base=base)
    assert cfg.train.epochs == 1 and base == {"train": {"epochs": 4}}
