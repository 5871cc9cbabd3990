"""Streamlit's own uploader texts ("Upload", "50MB per file") in the user's language (issue 14
item 9): views.parts.uploader's CSS, scoped to the widget's key. The browser test
(tests/browser/test_every_page.py) sees it drawn on the zh Data page."""

from __future__ import annotations

import pytest

from views.parts import i18n, uploader

from .conftest import open_page


def _styles(at) -> list[str]:
    return [h.proto.body for h in at.get("html") if "stFileUploaderDropzone" in h.proto.body]


def test_the_css_swaps_the_built_in_texts_for_the_catalogues(monkeypatch):
    monkeypatch.setattr(i18n, "current", lambda: "zh")
    css = uploader.dropzone_css("wiz_config_upload", 50, ("yaml", ".yml"))
    assert '.st-key-wiz_config_upload [data-testid="stFileUploaderDropzone"]' in css
    assert 'content: "每个文件最大 50 MB • YAML, YML"' in css
    assert 'content: "上传"' in css and 'content: "将文件拖放到此处"' in css
    assert "display: none" in css  # the English is taken out, not just drawn over


@pytest.mark.parametrize(
    ("key", "expected"), [("data_upload", "data_upload"), ("pg file/1", "pg-file-1")]
)
def test_the_class_is_the_frontends(key, expected):
    assert uploader.widget_class(key) == expected


def test_no_closing_tag_can_come_from_a_text():
    assert uploader._css_text('a"</style>') == '"a\\"\\3c /style\\3e "'


def test_the_zh_data_page_supplies_its_uploader_texts(fake_jobs):
    at = open_page("views/data.py", lang="zh")
    assert not at.exception
    (css,) = _styles(at)
    assert ".st-key-data_upload" in css and "每个文件最大 50 MB" in css and "上传" in css


def test_english_keeps_streamlits_own_texts(fake_jobs):
    at = open_page("views/data.py")
    assert not at.exception
    assert _styles(at) == []
