"""One Great Expectations run over all rows of a call, mapped back to row ids.

A GE validation costs tens of milliseconds of fixed overhead whatever its size, so the pipeline
never validates file by file: every row of every file goes into one DataFrame and one
checkpoint run. GE's Data Docs are not built: they are English and load scripts and fonts from
outside servers; the officer's HTML report is `pcmbn.validation.html_report`, drawn from the
mapped problems. GE is imported here only, lazily: it takes seconds to import.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.settings import quiet_third_parties
from pcmbn.validation.suite import build_expectations

log = logging.getLogger(__name__)

SUITE_NAME = "pcmbn-bao-cao"


@dataclass(frozen=True)
class Failure:
    row_id: int
    rule: str


@dataclass(frozen=True)
class EngineResult:
    failures: list[Failure]


def run_expectations(frame: pd.DataFrame, catalog: Catalog) -> EngineResult:
    """Validate every row at once; return the failing (row, rule) pairs."""
    if frame.empty:
        return EngineResult([])
    quiet_third_parties()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _silence_loggers()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = context.suites.add(
        gx.ExpectationSuite(name=SUITE_NAME, expectations=build_expectations(catalog))
    )
    batch_definition = (
        context.data_sources.add_pandas("bao_cao")
        .add_dataframe_asset("cac_dong")
        .add_batch_definition_whole_dataframe("mot_lan_chay")
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(data=batch_definition, suite=suite, name=SUITE_NAME)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=SUITE_NAME,
            validation_definitions=[definition],
            actions=[],
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": ["row_id"],
            },
        )
    )
    result = checkpoint.run(batch_parameters={"dataframe": frame})
    failures: list[Failure] = []
    for validation in result.run_results.values():
        for outcome in validation.results:
            rule = outcome.expectation_config.meta["rule"]
            if outcome.exception_info and outcome.exception_info.get("raised_exception"):
                log.error("expectation %s raised: %s", rule, outcome.exception_info)
                raise RuntimeError(f"Great Expectations failed on rule {rule}")
            if outcome.success:
                continue
            for item in outcome.result.get("unexpected_index_list") or []:
                failures.append(Failure(int(item["row_id"]), rule))
    return EngineResult(failures)


def _silence_loggers() -> None:
    """GE logs its own chatter at INFO/WARNING; keep it in the log file, off the terminal."""
    for name in ("great_expectations", "great_expectations.core", "py.warnings"):
        logging.getLogger(name).setLevel(logging.ERROR)
