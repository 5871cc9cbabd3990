"""Methods of a strategy kind (torch-free): one config class plus one registration each.

A method is a name, its own small config (a `MethodConfig` whose `method` field is the tag of the
kind's union) and a factory, given as "module:function" and imported only when a run needs it,
so that importing a config never imports torch:

    class EwcConfig(MethodConfig):
        method: Literal["ewc"] = tag("ewc")
        lam: float = Field(1e4, ge=0.0, description="...")

    register_method("continual", EwcConfig, "engine.strategies.continual.ewc:plugins")

A kind with methods (continual, meta) derives its section from `MethodStrategy`: `method` names
one registered method and `params` holds that method's config, chosen through the registry (a
discriminated union on `method` that a method registered later joins without a model rebuild).
The shape before method configs, with each knob flat in the section (`ewc_lambda: 500`), still
parses: a config class lists its old flat keys in `legacy`, and an error names the key as the
user wrote it (`strategy.ewc_lambda`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import (
    Field,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from engine.strategies.registry import Section


def tag(name: str) -> Any:
    """The `method` field of a method config: its name, left out of the dumped config (the
    section's own `method` says it once)."""
    return Field(name, exclude=True, description="The method's name (the union's tag)")


class MethodConfig(Section):
    """One method's own settings; subclasses set `method: Literal[NAME] = tag(NAME)`."""

    method: str = tag("")
    # flat key of the section before method configs existed -> field of this config
    legacy: ClassVar[dict[str, str]] = {}


@dataclass(frozen=True)
class Method:
    kind: str
    name: str
    config: type[MethodConfig]
    factory: str  # "package.module:function"; the module may import torch

    def load(self) -> Callable[..., Any]:
        module, _, function = self.factory.partition(":")
        return getattr(importlib.import_module(module), function)


METHODS: dict[str, dict[str, Method]] = {}  # kind -> name -> method, in registration order


def register_method(kind: str, config: type[MethodConfig], factory: str) -> Method:
    """Add (or replace) the method named by `config`'s `method` default."""
    name = config.model_fields["method"].default
    if not name or ":" not in factory:
        raise ValueError(f"{config.__name__}: needs method = tag(NAME) and a module:function")
    method = Method(kind, name, config, factory)
    METHODS.setdefault(kind, {})[name] = method
    return method


def unregister_method(kind: str, name: str) -> None:
    METHODS.get(kind, {}).pop(name, None)


def methods(kind: str) -> dict[str, Method]:
    return dict(METHODS.get(kind, {}))


def method_of(config: type[MethodConfig]) -> Method | None:
    """The registration of a config class (its kind and name), if it is registered."""
    return next((m for k in METHODS.values() for m in k.values() if m.config is config), None)


def get_method(kind: str, name: str) -> Method:
    known = METHODS.get(kind, {})
    if name not in known:
        raise ValueError(f"unknown {kind} method {name!r}; choose one of {list(known)}")
    return known[name]


def _choices(names: list[str]) -> str:
    quoted = [repr(n) for n in names]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else "".join(quoted)


class MethodStrategy(Section):
    """A section whose `method` picks a registered method of `method_kind`; `params` is its
    config. Subclasses redeclare `kind` and `method` (with the kind's default method)."""

    method_kind: ClassVar[str]
    kind: str
    method: str
    params: SerializeAsAny[MethodConfig] = Field(
        None,  # type: ignore[assignment]  # replaced by the method's defaults (_params)
        validate_default=True,
        description="The chosen method's own settings",
    )

    @field_validator("method")
    @classmethod
    def _known_method(cls, name: str) -> str:
        names = list(methods(cls.method_kind))
        if name not in names:
            raise PydanticCustomError("literal_error", f"Input should be {_choices(names)}")
        return name

    @field_validator("params", mode="before")
    @classmethod
    def _params(cls, value: Any, info: ValidationInfo) -> Any:
        name = info.data.get("method")
        if name is None:  # `method` itself is wrong: that error is the one to show
            return MethodConfig.model_construct()
        config = get_method(cls.method_kind, name).config
        if isinstance(value, config):
            return value
        if isinstance(value, MethodConfig):
            raise ValueError(f"{type(value).__name__} is not the config of method {name!r}")
        return config.model_validate({} if value is None else value)

    @model_validator(mode="after")
    def _params_of_the_method(self) -> MethodStrategy:
        # also on assignment: a new `method` needs its own `params` (assign both)
        if self.params.method != self.method:
            raise ValueError(f"params belong to method {self.params.method!r}, not {self.method!r}")
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _flat_shape(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        """Today's shape has the method's knobs in `params`; the flat one still parses."""
        if not isinstance(data, dict):
            return handler(data)
        data, moved = lift_flat_keys(cls, data)
        try:
            return handler(data)
        except ValidationError as err:
            if not moved:
                raise
            raise flat_locations(err, moved) from None


def lift_flat_keys(strategy: type[MethodStrategy], data: dict[str, Any]) -> tuple[dict, dict]:
    """(data with the chosen method's flat keys moved into `params` and every other method's
    dropped (they never applied to it), {field: flat key} of the moved ones)."""
    registered = methods(strategy.method_kind)
    flat = {key for m in registered.values() for key in m.config.legacy}
    if not flat & data.keys():
        return data, {}
    data = dict(data)
    name = data.get("method", strategy.model_fields["method"].default)
    chosen = registered[name].config.legacy if isinstance(name, str) and name in registered else {}
    given = data.get("params")
    if isinstance(given, MethodConfig):
        given = given.model_dump(exclude_unset=True)
    params = dict(given) if isinstance(given, dict) else {}
    moved: dict[str, str] = {}
    for key in sorted(flat & data.keys()):
        value = data.pop(key)
        field = chosen.get(key)
        if field is not None and field not in params:  # a key given in `params` wins
            params[field] = value
            moved[field] = key
    if moved:
        data["params"] = params
    return data, moved


def flat_locations(err: ValidationError, moved: dict[str, str]) -> ValidationError:
    """The same errors, located at the flat key the user wrote (params.lam -> ewc_lambda)."""
    details = []
    for e in err.errors():
        loc = tuple(e["loc"])
        if len(loc) >= 2 and loc[0] == "params" and loc[1] in moved:
            loc = (moved[str(loc[1])], *loc[2:])
        error = PydanticCustomError(e["type"], e["msg"])  # no context: the text as it is
        details.append({"type": error, "loc": loc, "input": e.get("input")})
    return ValidationError.from_exception_data(err.title, details)  # type: ignore[arg-type]
