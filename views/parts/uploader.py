"""st.file_uploader with Streamlit's own dropzone texts in the user's language.

Streamlit (1.67) draws "Upload", "50MB per file • YAML" and, while a file is dragged over,
"Drag and drop a file here" in English, and has no parameter for them. Outside English this
adds one style-only st.html (which Streamlit puts in its hidden event container, so it takes no
space), scoped to the widget's `st-key-<key>` class: the built-in texts are hidden and the
catalogue's are drawn in their place through ::after. The selectors are the uploader's own
data-testids (stFileUploaderDropzone, ...Instructions, stBaseButton-secondary), checked against
the installed frontend; tests/browser/test_every_page.py sees the result on the zh Data page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import streamlit as st

from views.parts import i18n
from views.parts.i18n import t

DROPZONE = '[data-testid="stFileUploaderDropzone"]'


def file_uploader(
    label: str, *, key: str, types: Sequence[str] | None = None, **kwargs: Any
) -> Any:
    """st.file_uploader(label, type=types, key=key, **kwargs), its built-in texts translated."""
    if i18n.current() != i18n.DEFAULT:
        mb = kwargs.get("max_upload_size") or st.get_option("server.maxUploadSize")
        st.html(f"<style>{dropzone_css(key, int(mb), types)}</style>")
    return st.file_uploader(label, type=list(types) if types else None, key=key, **kwargs)


def dropzone_css(key: str, mb: int, types: Sequence[str] | None) -> str:
    """The rules that swap one uploader's built-in texts for the catalogue's."""
    limit = t("common.uploader.limit", mb=mb)
    if types:
        limit += " • " + ", ".join(kind.lstrip(".").upper() for kind in types)
    scope = f".st-key-{widget_class(key)} {DROPZONE}"
    button = f'{scope} [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"]'
    instructions = f'{scope} [data-testid="stFileUploaderDropzoneInstructions"] > div'
    overlay = f"{scope} > div:not([data-testid])"  # shown only while a file is dragged over
    # display:none (not font-size 0) takes the English out of the page's text too; the
    # instructions' grey is the inherited text colour at 70%, as Streamlit's fadedText70.
    return "\n".join(
        (
            f"{button} > p, {instructions} > span, {overlay} > span {{display: none}}",
            f"{button}::after {{content: {_css_text(t('common.uploader.button'))}}}",
            f"{instructions}::after {{content: {_css_text(limit)}; font-size: 0.875rem; "
            "opacity: 0.7; white-space: nowrap; overflow: hidden; text-overflow: ellipsis}",
            f"{overlay}::after {{content: {_css_text(t('common.uploader.drop'))}; "
            "font-size: 0.875rem; font-weight: 800}",
        )
    )


def widget_class(key: str) -> str:
    """The class suffix Streamlit's frontend gives a keyed widget (st-key-<this>)."""
    return re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def _css_text(text: str) -> str:
    """A CSS string literal: JSON's escaping of quotes and backslashes is valid CSS, and
    angle brackets are escaped so the text cannot close the <style> element."""
    return json.dumps(text, ensure_ascii=False).replace("<", "\\3c ").replace(">", "\\3e ")
