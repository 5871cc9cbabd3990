"""Time estimates on the pages: the wizard's review step, Home's Try it and a lesson's run step
quote this machine's estimate (a range, with its basis), made from a hand-made run history."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from engine import api
from engine.config import RunConfig, parse_config
from engine.runs import estimate, throughput
from storage import runs
from storage.db import write_session
from storage.models import Run, RunStatus, utcnow
from views.home import TRY_IT_CONFIG
from views.parts import wizard_estimate

from .conftest import APP, TIMEOUT, open_page
from .test_train_wizard import EXPECTED, _walk_to_review


@pytest.fixture
def history(fake_jobs, monkeypatch):
    """One finished Try it run of this host: 60 s from start to finish, 40 s of training."""
    monkeypatch.setattr(estimate, "machine_device", lambda cfg: "cpu")
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))  # a quiet machine
    cfg = parse_config(TRY_IT_CONFIG)
    info = {"type": "cpu", "precision": "float32", "hostname": throughput.HOST}
    with write_session() as s:
        run_id = runs.create_run(s, name="try-it", kind="finetune", method="full",
                                 config=cfg.to_dict())  # fmt: skip
        runs.mark_running(s, run_id, pid=1, device="cpu", device_info=info)
        runs.update_summary(s, run_id, {"train_seconds": 40.0, "steps": 76})
        runs.transition(s, run_id, RunStatus.SUCCEEDED)
        start = utcnow() - timedelta(hours=1)
        done = start + timedelta(seconds=60)
        s.execute(update(Run).where(Run.id == run_id).values(started_at=start, finished_at=done))
    return fake_jobs


def expected(cfg: RunConfig) -> tuple[str, str]:
    found = api.estimate_run(cfg)
    assert found is not None and found.basis == "measured"
    return wizard_estimate.range_text(found), wizard_estimate.basis_text(found)


def test_try_it_quotes_the_estimate_from_history(history):
    at = open_page("views/home.py")
    rng, basis = expected(parse_config(TRY_IT_CONFIG))
    assert basis == "measured on this machine from 1 earlier run(s)"
    button = at.button(key="home_try_it")
    assert button.label == f"▶ Try it: train a tiny model (about {rng})"
    assert f"Estimated time on this machine: {rng} ({basis})." in [c.value for c in at.caption]
    text = " ".join([button.label, *(m.value for m in at.markdown), *(c.value for c in at.caption)])
    assert "15 s" not in text and "about 15" not in text
    # the history's run took 60 s with the same config: the range holds it
    found = api.estimate_run(parse_config(TRY_IT_CONFIG))
    assert found is not None and found.low_s <= 60.0 <= found.high_s


def test_review_step_shows_the_range_and_its_basis(history):
    at = _walk_to_review(open_page("views/train.py"))
    rng, basis = expected(EXPECTED)
    assert basis == "measured on this machine from 1 earlier run(s)"
    (metric,) = at.metric
    shown = " ".join([metric.value, metric.help or "", *(c.value for c in at.caption)])
    assert rng in shown and basis in shown


def test_show_estimate_draws_the_range_as_the_metric(history):
    def review() -> None:
        from engine.config import parse_config
        from views.home import TRY_IT_CONFIG
        from views.parts.wizard_estimate import show_estimate

        show_estimate(parse_config(TRY_IT_CONFIG))

    at = AppTest.from_function(review, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    rng, basis = expected(parse_config(TRY_IT_CONFIG))
    (metric,) = at.metric
    assert (metric.label, metric.value) == ("Estimated time on this machine", rng)
    assert "training sub-tokens" in metric.help
    assert at.caption[0].value == f"An estimate, {basis}."


def lesson_captions(lesson_id: str, step: int) -> list[str]:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("views/lessons.py")
    at.query_params["lesson"] = lesson_id
    at.session_state[f"lesson_step_{lesson_id}"] = step
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return [c.value for c in at.caption if c.value.startswith("Estimated time")]


def test_lesson_run_steps_quote_the_estimate(history):
    # lesson 1 trains tiny-corpus, of which the history has no run: a rough guess
    (one,) = lesson_captions("mapping", 2)  # explain, predict, run
    guess = "(a rough guess: no run of this model has been measured on this machine yet)."
    assert one.startswith("Estimated time on this machine: ") and one.endswith(guess)
    (race,) = lesson_captions("rescue", 2)  # five runs, one after another: their sum
    assert "for 5 run(s), one after another" in race
    (paced,) = lesson_captions("forgetting", 2)  # the teacher's pauses are not in it
    assert "of training, plus the pauses you make between the tasks" in paced
