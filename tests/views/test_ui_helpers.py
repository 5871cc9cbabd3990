"""views.parts.ui: the pure helpers the pages share (no Streamlit run needed)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from storage.models import RunStatus
from views.parts import downloads, fmt, highlight, settings


def test_escape_text_leaves_no_markup():
    text = "<b>x</b> & 'q' *bold* _it_ :red[no] $x$ [a](b) `c`"
    escaped = highlight.escape_text(text)
    assert not set(escaped) & set("<>'\"*_[]()`$")
    assert escaped.startswith("&lt;b&gt;x&lt;/b&gt; &amp; &#x27;q&#x27; &#42;bold&#42;")


def test_highlighted_html_spans():
    html = highlight.highlighted_html([("Bob <i>", "PER"), ("met", None)], {"PER": "#abcdef"})
    assert html.startswith('<span style="background:#abcdef;')
    assert "Bob &lt;i&gt;" in html and html.endswith("</span></span> met")


def test_flatten_and_differing_settings():
    a = {"name": "a", "train": {"lr": 0.1, "epochs": 3}, "strategy": {"kind": "finetune"}}
    b = {"name": "b", "train": {"lr": 0.2, "epochs": 3}, "strategy": {"kind": "finetune"}}
    c = {"name": "a", "train": {"lr": 0.1, "epochs": 3}, "extra": {"k": [1, 2]}}
    assert settings.flatten(a) == {
        "name": "a",
        "train.lr": 0.1,
        "train.epochs": 3,
        "strategy.kind": "finetune",
    }
    assert settings.differing_settings({1: a, 2: b}) == ["name", "train.lr"]
    assert settings.differing_settings({1: a, 3: c}) == ["extra.k", "strategy.kind"]
    assert settings.differing_settings({1: a, 4: dict(a)}) == []


def test_ema():
    assert fmt.ema([1.0, 1.0, 1.0], 0.9) == [1.0, 1.0, 1.0]  # debiased: no ramp from zero
    smoothed = fmt.ema([0.0, 10.0], 0.5)
    assert smoothed[0] == 0.0 and math.isclose(smoothed[1], 10.0 * 0.5 / 0.75)
    assert math.isnan(fmt.ema([math.nan, 2.0], 0.5)[0]) and fmt.ema([math.nan, 2.0], 0.5)[1] == 2.0


def test_durations_and_labels():
    start = datetime(2024, 1, 1, tzinfo=UTC)
    assert fmt.duration_s(start, start + timedelta(seconds=75)) == 75.0
    assert fmt.duration_s(None, None) is None
    assert [fmt.format_duration(s) for s in (None, 5, 75, 7300)] == [
        "-",
        "5 s",
        "1 min 15 s",
        "2 h 01 min",
    ]
    assert fmt.status_badge(RunStatus.FAILED) == ":red-badge[❌ FAILED]"
    assert fmt.status_label("RUNNING") == "🔵 RUNNING"
    assert fmt.format_memory({"memory_gb": 7.75}) == "7.8 GB"
    assert fmt.gpu_label({"name": "H200", "memory_gb": 141.0}) == "H200 (141 GB)"


def test_inside_lab_home(lab):
    assert downloads.inside_lab_home(lab / "runs" / "1" / "checkpoint")
    assert not downloads.inside_lab_home("/etc")
    assert not downloads.inside_lab_home(lab / ".." / "elsewhere")
