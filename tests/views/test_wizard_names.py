"""The Train wizard (issue 14 item 5): an imported dataset by its name in the review's YAML and
the suggested run name, never its stored uuid file; the exact file only under "Files on disk"
and in the config that is launched."""

from __future__ import annotations

from pathlib import Path

from .conftest import click, open_page
from .names_on_screen import import_dataset, in_files_on_disk, visible_text


def _review_of_imported(at):
    at.radio(key="wiz_data_source").set_value("Imported dataset").run()
    for step in ("data", "backbone", "strategy"):
        click(at, f"wiz_next_{step}")
    assert at.text_input(key="wiz_name").value == "finetune-full-harbour-ner"
    return click(at, "wiz_next_hyperparameters")


def test_review_names_the_imported_dataset_not_its_file(fake_jobs):
    path = import_dataset()
    at = _review_of_imported(open_page("views/train.py"))
    shown_yaml = at.code[0].value
    assert 'train: "harbour-ner"' in shown_yaml and "# an imported dataset" in shown_yaml
    shown = visible_text(at)
    assert Path(path).stem not in shown and "uploads/" not in shown
    assert "None" not in shown_yaml
    assert path in in_files_on_disk(at)
    # What is launched is the exact config, with the file's path.
    at.button(key="wiz_launch").click().run()
    (cfg,) = fake_jobs.submitted
    assert cfg.data.train == path and cfg.name == "finetune-full-harbour-ner"


def test_review_of_a_builtin_corpus_has_no_files_on_disk(fake_jobs):
    import_dataset()
    at = open_page("views/train.py")
    for step in ("data", "backbone", "strategy", "hyperparameters"):
        click(at, f"wiz_next_{step}")
    assert "train: builtin:news" in at.code[0].value
    assert not [e for e in at.expander if e.label == "Files on disk"]
