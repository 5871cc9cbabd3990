"""Classroom lessons as data: presets.py holds each lesson's steps (explain, predict, run,
notice) and the run configs a step launches; margin.py whether a lesson's effect stands above
its 95% interval. Torch-free; may import engine.config only.
"""
