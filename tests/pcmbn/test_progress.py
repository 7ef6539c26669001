"""Run progress: the weighted fraction, listeners, and a listener that fails."""

from __future__ import annotations

import pytest

from pcmbn import progress
from pcmbn.progress import MONTHLY_STEPS, RunProgress, Step, fraction, listening

STEPS = (Step("a", "Một", 1.0), Step("b", "Hai", 3.0))


@pytest.mark.parametrize(
    ("step", "done", "total", "expected"),
    [
        ("a", 0, 10, 0.0),
        ("a", 5, 10, 0.125),
        ("a", 10, 10, 0.25),
        ("b", 0, 4, 0.25),
        ("b", 2, 4, 0.625),
        ("b", 4, 4, 1.0),
        ("b", 9, 4, 1.0),  # never beyond the whole
        ("a", 0, 0, 0.25),  # an empty step is done
    ],
)
def test_fraction(step: str, done: int, total: int, expected: float) -> None:
    assert fraction(STEPS, step, done, total) == pytest.approx(expected)


def test_the_monthly_steps_weigh_one_in_all() -> None:
    assert sum(s.weight for s in MONTHLY_STEPS) == pytest.approx(1.0)
    assert fraction(MONTHLY_STEPS, "publish", 1, 1) == pytest.approx(1.0)


def test_a_run_reports_to_whoever_listens_and_a_failing_listener_is_ignored() -> None:
    seen: list = []
    with listening(seen.append), RunProgress(STEPS).active():
        progress.advance("a", 1, 2)
        progress.advance("b", 4, 4)
    assert [(s.step, s.label, s.done, s.total) for s in seen] == [
        ("a", "Một", 1, 2), ("b", "Hai", 4, 4)
    ]  # fmt: skip
    assert seen[-1].to_json()["fraction"] == 1.0

    def broken(_snapshot: object) -> None:
        raise RuntimeError("terminal gone")

    with listening(broken), RunProgress(STEPS).active():
        progress.advance("a", 1, 1)  # does not raise
    progress.advance("a", 1, 1)  # outside a run: nothing happens


def test_interleaved_steps_never_move_the_bar_back() -> None:
    """A month read and validated batch after batch: read 2/4, validate 2/4, read 4/4..."""
    seen: list = []
    with listening(seen.append), RunProgress(STEPS).active():
        progress.advance("a", 2, 4)
        progress.advance("b", 2, 4)
        progress.advance("a", 4, 4)
        progress.advance("b", 4, 4)
    fractions = [s.fraction for s in seen]
    assert fractions == pytest.approx([0.125, 0.5, 0.625, 1.0])
    assert fractions == sorted(fractions)
