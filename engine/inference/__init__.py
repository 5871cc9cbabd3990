"""Inference: a trained checkpoint applied to raw text (tagger.py: words, offsets, entities with
confidences) and the torch-free client that finds a run's checkpoints and runs the tagger in a
subprocess for the dashboard (client.py). May import engine.data, engine.models, storage.
"""
