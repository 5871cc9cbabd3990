"""Metric functions: pure, tested on hand-made inputs with known answers."""
