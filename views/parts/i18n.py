"""The dashboard's languages: `t(key, **fmt)` is a message in the language the user chose.

Messages live in one catalogue per language, `views/parts/locales/<lang>.yaml`, nested by page
(home.*, data.*, train.*, runs.*, compare.*, forgetting.*, common.*, errors.*) and written as
str.format templates. The language is kept in st.session_state and mirrored in the URL
(`?lang=zh`), so a link opens in it. A missing message never breaks a page: the chosen
language, then English, then the key itself; tests/views/test_i18n.py fails instead.

`config.<section>.<field>.label` / `.help` translate engine/config.py's fields for the wizard.
Their English is the code (the field name and its Field description), so only the other
languages' catalogues carry a `config` tree; `translated(key, english)` looks them up.

    from views.parts.i18n import t
    st.title(t("runs.title"))
    st.error(t("runs.no_such_run", run_id=7))
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import streamlit as st
import yaml
from streamlit.runtime.scriptrunner import get_script_run_ctx

log = logging.getLogger("lab.dashboard")

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"
STATE_KEY = "lang"  # the chosen language, in st.session_state
SWITCH_KEY = "lang_switch"  # the sidebar widget
QUERY_PARAM = "lang"
LOCALES = Path(__file__).with_name("locales")
CONFIG_TREE = "config"  # translations of engine/config.py fields; English lives in the code
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader reads them ~10x faster


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """{"home": {"title": "x"}} -> {"home.title": "x"}."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = str(value)
    return flat


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Every message of one language by dotted key; empty (with a log line) if unreadable."""
    path = LOCALES / f"{lang}.yaml"
    try:
        tree = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except (OSError, yaml.YAMLError):
        log.exception("cannot read the %s message catalogue %s", lang, path)
        return {}
    return flatten(tree) if isinstance(tree, dict) else {}


def current() -> str:
    """The chosen language; English outside a Streamlit run (unit tests, scripts)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return DEFAULT
    lang = st.session_state.get(STATE_KEY, DEFAULT)
    return lang if lang in LANGUAGES else DEFAULT


def t(key: str, **fmt: Any) -> str:
    """The message `key` in the chosen language, formatted with `fmt`; never raises.

    Falls back to English, then to the unformatted text, then to the key itself."""
    template = None
    for lang in dict.fromkeys((current(), DEFAULT)):
        text = catalogue(lang).get(key)
        if text is None:
            continue
        try:
            return text.format(**fmt)
        except (KeyError, IndexError, ValueError, AttributeError):
            log.warning("message %s (%s) does not format with %s", key, lang, sorted(fmt))
            template = template or text
    if template is None:
        log.warning("no message %s", key)
    return template or key


def translated(key: str, english: str | None) -> str | None:
    """A catalogue text with no placeholders, else `english` (a config field's own text)."""
    text = catalogue(current()).get(key) if current() != DEFAULT else None
    return english if text is None else text


def sync() -> str:
    """Call once per run, before any text (app.py): settle the language and mirror it in the URL.

    A session's first run takes `?lang=` from the link it was opened with; after that the
    session's choice wins, and is written back to the URL (page links drop query params)."""
    if STATE_KEY not in st.session_state:
        wanted = st.query_params.get(QUERY_PARAM)
        st.session_state[STATE_KEY] = wanted if wanted in LANGUAGES else DEFAULT
    lang = current()
    if lang == DEFAULT:
        if QUERY_PARAM in st.query_params:
            del st.query_params[QUERY_PARAM]
    elif st.query_params.get(QUERY_PARAM) != lang:
        st.query_params[QUERY_PARAM] = lang
    return lang


def language_switch() -> None:
    """English / 中文, drawn in the sidebar by app.py on every page."""
    lang = current()
    if st.session_state.get(SWITCH_KEY) != lang:
        st.session_state[SWITCH_KEY] = lang
    st.radio(
        t("common.language"),
        list(LANGUAGES),
        key=SWITCH_KEY,
        format_func=LANGUAGES.__getitem__,
        horizontal=True,
        on_change=_switched,
    )


def _switched() -> None:
    st.session_state[STATE_KEY] = st.session_state[SWITCH_KEY]
    sync()
