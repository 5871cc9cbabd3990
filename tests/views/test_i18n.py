"""The message catalogues (views/parts/locales) are complete, every key a page uses exists,
and every page renders in Chinese; the sidebar switch and `?lang=zh` choose the language."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from engine.config import (
    STRATEGY_CONFIGS,
    DataConfig,
    RunConfig,
    Section,
    TaskStreamConfig,
    TrainConfig,
)
from storage.models import RunStatus
from views.parts import i18n
from views.parts.wizard_fields import section_model, section_name

from .conftest import APP, PAGES, REPO, TIMEOUT, open_page

LANGS = sorted(i18n.LANGUAGES)
# Pages already drawn through t(); a page converted later joins this list. (The Benchmarks
# page's Chinese is checked in test_benchmarks_page.py.)
CONVERTED = (
    *(page for page in PAGES if page != "views/benchmarks.py"),
    "views/lessons.py",
    "views/embeddings.py",
)
# Config sections whose every field must have a Chinese label and help.
FULLY_TRANSLATED = ("run", "data", "train", "task_stream", "finetune", "continual")
T_CALL = re.compile(r"""\bt\(\s*(["'])([\w.]+)\1""")
CJK = re.compile(r"[\u4e00-\u9fff]")
EN = i18n.catalogue("en")


def messages(lang: str) -> dict[str, str]:
    """A catalogue without its `config` tree (whose English is engine/config.py)."""
    prefix = i18n.CONFIG_TREE + "."
    return {k: v for k, v in i18n.catalogue(lang).items() if not k.startswith(prefix)}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def source_files() -> list[Path]:
    return [REPO / "app.py", *sorted((REPO / "views").glob("*.py"))]


def test_catalogues_have_the_same_keys():
    english = messages("en")
    assert len(english) > 300
    for lang in LANGS:
        keys = set(messages(lang))
        assert not set(english) - keys, f"missing in {lang}.yaml: {sorted(set(english) - keys)}"
        assert not keys - set(english), f"missing in en.yaml: {sorted(keys - set(english))}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_match_english(lang):
    english = messages("en")
    wrong = {
        key: (sorted(placeholders(text)), sorted(placeholders(english[key])))
        for key, text in messages(lang).items()
        if placeholders(text) != placeholders(english[key])
    }
    assert not wrong, f"{lang}.yaml: (its placeholders, English ones) {wrong}"


def test_every_key_a_page_uses_exists():
    english = messages("en")
    used = {(p.name, m.group(2)) for p in source_files() for m in T_CALL.finditer(p.read_text())}
    assert len(used) > 300
    missing = sorted(f"{name}: {key}" for name, key in used if key not in english)
    assert not missing, missing
    # keys built at run time
    for status in RunStatus:
        assert f"common.status.{status.value}" in english


def test_no_page_rebinds_t():
    """A loop variable named t would shadow the translator in the whole function."""
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id == "t" and isinstance(node.ctx, ast.Store)
        ]
        assert not bound, f"{path.name} assigns t at lines {bound}"


def nested_section(model: type, name: str) -> type | None:
    """A field's section model, flat (drawn inline: RunConfig.mapping) or not (tasks)."""
    annotation = model.model_fields[name].annotation
    is_section = isinstance(annotation, type) and issubclass(annotation, Section)
    return annotation if is_section else None


def config_sections() -> dict[str, type]:
    """Every config section the wizard can show, by its catalogue name."""
    todo = [RunConfig, DataConfig, TrainConfig, TaskStreamConfig, *STRATEGY_CONFIGS.values()]
    found: dict[str, type] = {}
    while todo:
        model = todo.pop()
        found[section_name(model)] = model
        todo += [m for n in model.model_fields if (m := nested_section(model, n)) is not None]
    return found


def test_config_translations_name_real_fields():
    sections = config_sections()
    assert {"data", "train", "task_stream", "run", "finetune", "continual"} <= set(sections)
    for lang in LANGS:
        for key in i18n.catalogue(lang):
            if key.startswith("config."):
                _, section, field, part = key.split(".")
                assert section in sections, f"{lang}: {key}: no section {section}"
                assert field in sections[section].model_fields, f"{lang}: {key}: no such field"
                assert part in ("label", "help"), key


@pytest.mark.parametrize("section", FULLY_TRANSLATED)
def test_main_config_sections_are_translated(section):
    model = config_sections()[section]
    zh = i18n.catalogue("zh")
    missing = [
        f"config.{section}.{name}.{part}"
        for name in model.model_fields
        if name != "kind" and section_model(model, name) is None
        for part in ("label", "help")
        if f"config.{section}.{name}.{part}" not in zh
    ]
    assert not missing, f"add to views/parts/locales/zh.yaml: {missing}"


def test_t_falls_back_and_never_raises(monkeypatch):
    assert i18n.t("runs.no_such_run", run_id=7) == "There is no run 7."  # no run: English
    assert i18n.t("no.such.key") == "no.such.key"
    assert i18n.t("runs.no_such_run") == "There is no run {run_id}."  # unformatted, not raised
    monkeypatch.setattr(i18n, "current", lambda: "zh")
    assert i18n.t("runs.no_such_run", run_id=7) == "没有编号为 7 的运行。"
    assert i18n.translated("config.train.lr.help", "Peak learning rate") == "峰值学习率（AdamW）"
    assert i18n.translated("config.train.nope.help", "English") == "English"
    zh = dict(i18n.catalogue("zh"))
    del zh["runs.deleted"]
    zh["runs.stopping"] = "运行 {wrong} 正在停止。"
    monkeypatch.setattr(i18n, "catalogue", lambda lang: zh if lang == "zh" else EN)
    assert i18n.t("runs.deleted", run_id=3) == "Run 3 was deleted."  # missing: English
    assert i18n.t("runs.stopping", run_id=3) == "Run 3 is being stopped."  # bad: English


def test_format_duration_in_both_languages(monkeypatch):
    from views.parts import fmt

    assert fmt.format_duration(75) == "1 min 15 s"
    monkeypatch.setattr(i18n, "current", lambda: "zh")
    assert [fmt.format_duration(s) for s in (5, 75, 7300)] == [
        "5 秒",
        "1 分 15 秒",
        "2 小时 01 分",
    ]
    assert fmt.status_label("FAILED") == "❌ 失败"


def chinese_app(page: str, **query: str) -> AppTest:
    """The app opened with ?lang=zh, switched to `page`."""
    return open_page(page, lang="zh", **query)


def visible_text(at: AppTest) -> str:
    """Headings, text and widget labels of the page (the main area and the sidebar)."""
    texts = [at.title, at.subheader, at.markdown, at.caption, at.info]
    labels = [at.button, at.selectbox, at.radio, at.metric]
    parts = [e.value for kind in texts for e in kind] + [w.label for kind in labels for w in kind]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", CONVERTED)
def test_every_page_renders_in_chinese(populated, page):
    at = chinese_app(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert CJK.search(at.title[0].value), at.title[0].value
    assert at.session_state[i18n.STATE_KEY] == "zh"
    english = [w.label for w in at.main.button if w.label and not CJK.search(w.label)]
    assert not [b for b in english if b[:1].isalpha()], english


def test_empty_pages_render_in_chinese(fake_jobs):
    for page in CONVERTED:
        at = chinese_app(page)
        assert not at.exception, (page, [e.value for e in at.exception])
        assert CJK.search(visible_text(at)), page


@pytest.mark.parametrize("which", ["succeeded", "running", "failed"])
def test_run_page_in_chinese(populated, which):
    run_id = getattr(populated, which)
    at = chinese_app("views/runs.py", run=str(run_id))
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value.startswith(f"运行 {run_id}：")
    text = visible_text(at)
    assert "骨干模型：tiny" in text


def test_switch_changes_the_language_and_the_url(fake_jobs):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert at.title[0].value == "Lifelong NER Lab"
    at.radio(key=i18n.SWITCH_KEY).set_value("zh").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "终身学习 NER 实验室"
    assert at.query_params.get("lang") in ("zh", ["zh"])
    at.switch_page("views/runs.py").run()  # the choice outlives a page change
    assert at.title[0].value == "运行"


def test_the_session_choice_wins_over_a_stale_url(fake_jobs):
    # (AppTest reruns only the page script after the first run, so app.py's sync is checked
    # on a first run: a session that chose English, opened from a ?lang=zh link.)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state[i18n.STATE_KEY] = "en"
    at.query_params["lang"] = "zh"
    at.run()
    assert at.title[0].value == "Lifelong NER Lab"
    assert "lang" not in at.query_params


def test_wizard_fields_in_chinese(fake_jobs):
    at = chinese_app("views/train.py")
    at.button(key="wiz_next_data").click().run()
    at.button(key="wiz_next_backbone").click().run()
    at.button(key="wiz_next_strategy").click().run()
    assert not at.exception, [e.value for e in at.exception]
    lr = at.number_input(key="wiz_train_lr")
    assert lr.label == "学习率（lr）" and lr.help == "峰值学习率（AdamW）"
    assert at.text_input(key="wiz_name").label == "运行名称"


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (safe_load keeps the last)."""


def _no_duplicate_keys(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[str] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        assert key not in seen, f"key {key!r} given twice (line {key_node.start_mark.line + 1})"
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicate_keys)


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_gives_no_key_twice(lang: str) -> None:
    path = REPO / "views" / "parts" / "locales" / f"{lang}.yaml"
    yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506


def test_episodes_are_not_a_storys_plot_in_chinese():
    text = (REPO / "views" / "parts" / "locales" / "zh.yaml").read_text(encoding="utf-8")
    assert "情节" not in text and "回合" in text  # the field says 回合 / 任务片段 for "episode"
