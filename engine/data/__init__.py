"""Data: reading every supported format into IOB2 sentences (readers/), writing them back
(writers/), validation and repairs, label schemes, task streams and episodes, the built-in
corpora, and the dataset service the dashboard imports uploads through (service.py).

Torch-free except alignment.py and batching.py (sub-token windows for a tokenizer). May import
engine.config; service.py alone may import storage.
"""
