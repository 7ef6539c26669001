"""The outlier bounds of the history rules: NumPy's figures are pandas' figures, exactly.

`outlier_bounds` runs once per unit and indicator of a run (thousands for a national month), so
it no longer builds a pandas Series; these pin that the bounds (hence every outlier problem)
are bit for bit what the Series gave: quantiles interpolated linearly, NaN left out.
"""

from __future__ import annotations

import math
import random

import pandas as pd
import pytest

from pcmbn.validation.history import MIN_HISTORY, outlier_bounds


def _pandas_bounds(values: list[float]) -> tuple[float, float] | None:
    """The bounds as they were computed before (a pandas Series)."""
    if len(values) < MIN_HISTORY:
        return None
    series = pd.Series(values, dtype="float64")
    q1, q3 = series.quantile(0.25), series.quantile(0.75)
    return float(series.min()), float(q3 + 3 * max(q3 - q1, 1.0))


def _same(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool:
    if a is None or b is None:
        return a is b
    return all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("seed", range(20))
def test_bounds_equal_the_pandas_series_bounds(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        n = rng.randint(0, 14)
        kind = rng.random()
        if kind < 0.4:  # counts, mostly zero
            values = [float(rng.choice([0, 0, 0, 1, 2, 5, 40])) for _ in range(n)]
        elif kind < 0.8:  # decimals
            values = [rng.uniform(-50, 5000) for _ in range(n)]
        else:  # with gaps
            values = [rng.choice([math.nan, rng.uniform(0, 99)]) for _ in range(n)]
        assert _same(outlier_bounds(values), _pandas_bounds(values)), values


def test_short_history_has_no_bounds_and_a_flat_one_has_the_floor() -> None:
    assert outlier_bounds([1.0] * (MIN_HISTORY - 1)) is None
    assert outlier_bounds([0.0] * MIN_HISTORY) == (0.0, 3.0)  # IQR floored at 1
