"""Backbones (by short registry key), token-classification models and checkpoints."""
