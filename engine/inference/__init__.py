"""Inference: a trained checkpoint applied to raw text (tagger.py: words, offsets, entities with
confidences), whole files pre-annotated (documents.py reads them, batch.py tags them in sentence
batches, outputs.py writes Label Studio / doccano / spaCy spans / CoNLL / JSONL, predict_file.py
is `python -m engine predict --input`), and the torch-free client that finds a run's checkpoints
and runs the tagger in a subprocess for the dashboard (client.py). May import engine.data,
engine.models, engine.device, engine.training (batched, autocast prediction), storage.
"""
