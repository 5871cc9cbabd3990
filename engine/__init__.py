"""Lifelong NER Lab engine: data, models, strategies, metrics and the command line.

Never imports streamlit; pages talk to it through `engine.api` and `engine.config` only.
"""
