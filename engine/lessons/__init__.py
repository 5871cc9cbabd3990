"""Classroom lessons as data: presets.py holds each lesson's steps (explain, predict, run,
notice) and the run configs a step launches. Torch-free; may import engine.config only.
"""
