"""Typed persistence for the lab: runs, metrics, evaluations, artifacts and datasets.

`storage` is the only package that talks to the database. It never imports torch,
transformers or streamlit, so the dashboard can import it cheaply.

Usage::

    from storage.db import write_session, read_session
    from storage import runs, queries

    with write_session() as s:
        run_id = runs.create_run(s, name="demo", kind="finetune", method="full", config={})
    with read_session() as s:
        print(queries.get_run(s, run_id))
"""
