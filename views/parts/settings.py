"""A run's settings as a person reads them: dotted lookups, flattened keys, the YAML shown on
the review step and the settings that differ between runs.
"""

from __future__ import annotations

import json
from typing import Any

from engine.config import ConfigError, parse_config


def config_value(config: dict[str, Any], dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"train": {"lr": 0.1}} -> {"train.lr": 0.1}."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def differing_settings(configs: dict[int, dict[str, Any]]) -> list[str]:
    """Dotted config keys whose values are not the same in every run, sorted."""
    flat = [flatten(config) for config in configs.values()]
    keys = sorted({k for f in flat for k in f})
    return [
        k
        for k in keys
        if len({json.dumps(f.get(k, "<missing>"), sort_keys=True, default=str) for f in flat}) > 1
    ]


def config_yaml(config: dict[str, Any]) -> str:
    """A stored config as the YAML the CLI reads (JSON, which YAML also reads, if it fails)."""
    try:
        return parse_config(config).to_yaml()
    except ConfigError:
        return json.dumps(config, indent=2, ensure_ascii=False)
