"""One Great Expectations run over all rows of a batch, mapped back to row ids.

A GE validation costs a fixed overhead whatever its size, so the pipeline never validates file
by file: every row of every file of a batch goes into one DataFrame and one checkpoint run.
The context, suite and checkpoint are built once per process and catalog (`_Checkpoint`), so
a warm process (the service's validator, a month's second batch) pays only the validation.
GE's Data Docs are not built: they are English and load scripts and fonts from outside
servers; the officer's HTML report is `pcmbn.validation.html_report`, drawn from the mapped
problems. GE is imported here only, lazily: it takes seconds to import.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.settings import quiet_third_parties
from pcmbn.validation.suite import RULE_RANK, ValueSets, build_expectations, rule_frame

log = logging.getLogger(__name__)

SUITE_NAME = "pcmbn-bao-cao"
#: Every failing row, named by its position in the rule frame (`rule_frame` stacks rows).
RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": ["position"]}


@dataclass(frozen=True)
class Failure:
    row_id: int
    rule: str


@dataclass(frozen=True)
class EngineResult:
    failures: list[Failure]


class _Checkpoint:
    """An ephemeral GE context with the suite and its checkpoint, built once per value sets."""

    def __init__(self, values: ValueSets) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        _silence_loggers()
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        suite = context.suites.add(
            gx.ExpectationSuite(name=SUITE_NAME, expectations=build_expectations(values))
        )
        batch_definition = (
            context.data_sources.add_pandas("bao_cao")
            .add_dataframe_asset("cac_dong")
            .add_batch_definition_whole_dataframe("mot_lan_chay")
        )
        self.suite, self.batch_definition = suite, batch_definition
        self.lock = threading.Lock()  # one run at a time per checkpoint (GE is not re-entrant)

    def run(self, frame: pd.DataFrame) -> Any:
        """The suite over `frame`, validated on its batch directly: a checkpoint would add
        freshness checks of its stored definitions (a fifth of a small run) and no action."""
        with self.lock:
            batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frame})
            return batch.validate(self.suite, result_format=RESULT_FORMAT)


_CHECKPOINTS: dict[ValueSets, _Checkpoint] = {}
_BUILDING = threading.Lock()
#: Catalogs kept warm per process (tests load several; a process normally has one).
_KEEP = 4


def _checkpoint(values: ValueSets) -> _Checkpoint:
    with _BUILDING:
        found = _CHECKPOINTS.get(values)
        if found is None:
            if len(_CHECKPOINTS) >= _KEEP:
                _CHECKPOINTS.pop(next(iter(_CHECKPOINTS)))
            found = _CHECKPOINTS[values] = _Checkpoint(values)
        return found


def run_expectations(frame: pd.DataFrame, catalog: Catalog) -> EngineResult:
    """Validate every row at once; return the failing (row, rule) pairs in reading order
    (by rule as the suite lists them, then by row)."""
    if frame.empty:
        return EngineResult([])
    quiet_third_parties()
    values = ValueSets.of(catalog)
    dense = rule_frame(frame, values)
    dense["position"] = np.arange(len(dense))
    result = _checkpoint(values).run(dense)
    row_ids = dense["row_id"].to_numpy()
    failures: list[Failure] = []
    for outcome in result.results:
        meta = outcome.expectation_config.meta
        name = meta.get("rule") or meta["rule_column"]
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            log.error("expectation %s raised: %s", name, outcome.exception_info)
            raise RuntimeError(f"Great Expectations failed on rule {name}")
        if outcome.success:
            continue
        unexpected = outcome.result.get("unexpected_index_list") or []
        found = [int(item["position"]) for item in unexpected]
        if "rule" in meta:
            failures += [Failure(int(row_ids[p]), meta["rule"]) for p in found]
        else:
            rules = dense[meta["rule_column"]].to_numpy(dtype=object)
            failures += [Failure(int(row_ids[p]), str(rules[p])) for p in found]
    failures.sort(key=lambda f: (RULE_RANK[f.rule], f.row_id))
    return EngineResult(failures)


def _silence_loggers() -> None:
    """GE logs its own chatter at INFO/WARNING; keep it in the log file, off the terminal."""
    for name in ("great_expectations", "great_expectations.core", "py.warnings"):
        logging.getLogger(name).setLevel(logging.ERROR)
