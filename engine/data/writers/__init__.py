"""Write text and entities out in the annotation tools' formats, and lab datasets for export.

    from engine.data.writers import prediction_task, tasks_json, segment_document
    tasks = [prediction_task(doc, entities, model_version="run-7")]   # Label Studio
    Path("pre.json").write_text(tasks_json(tasks), encoding="utf-8")

Pure functions from (text, entities) or Sentences to records and text; no I/O, no model.
Entities are engine.data.char_spans.Entity or mappings with start/end/type/score
(engine.data.writers.entities). Formats, with what reads each back (docs/formats.md):

- Label Studio pre-annotations (prediction_task) and annotated tasks (sentences_to_labelstudio)
  -> engine.data.readers.labelstudio
- doccano JSONL (doccano_record) -> readers.doccano
- Prodigy / spaCy span JSONL (prodigy_record) -> readers.prodigy
- CoNLL (conll_from_text, sentences_to_conll) -> readers.conll
- long documents -> sentences and windows with exact offsets (segment_document, shift)
"""

from engine.data.writers.conll import conll_block, conll_from_text, sentences_to_conll
from engine.data.writers.entities import as_entity, checked_entities
from engine.data.writers.labelstudio import (
    prediction_task,
    region,
    sentences_to_labelstudio,
    tasks_json,
)
from engine.data.writers.segment import Segment, segment_document, shift, split_sentences, windows
from engine.data.writers.spans_jsonl import doccano_record, jsonl, prodigy_record

__all__ = [
    "Segment",
    "as_entity",
    "checked_entities",
    "conll_block",
    "conll_from_text",
    "doccano_record",
    "jsonl",
    "prediction_task",
    "prodigy_record",
    "region",
    "segment_document",
    "sentences_to_conll",
    "sentences_to_labelstudio",
    "shift",
    "split_sentences",
    "tasks_json",
    "windows",
]
