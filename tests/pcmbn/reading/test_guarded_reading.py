"""The guard runs where the read runs: in the sandbox's workers, in parallel and off the
parent's GIL (issue 15.3); refusals are the same as the guard's in this process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from report_fixtures import Fixture, write_fixture

from pcmbn.catalog import Catalog, load_catalog
from pcmbn.reading.guard import Limits, inspect_file
from pcmbn.reading.sandbox import ReaderPool
from pcmbn.runners import prestart_local_readers, task_runner, warm_worker
from pcmbn.settings import ReaderMode, Settings, TaskRunnerName
from pcmbn.validation import submission
from pcmbn.validation.submission import load_submissions


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def guarded_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Files the guard inspected in this process (not in a sandbox worker)."""
    seen: list[str] = []

    def counting(path: Path, *args: Any) -> Any:
        seen.append(Path(path).name)
        return inspect_file(path, *args)

    monkeypatch.setattr(submission, "inspect_file", counting)
    return seen


@pytest.mark.timeout(120)
def test_the_guard_runs_in_the_workers_and_refuses_as_it_does_here(
    tmp_path: Path, catalog: Catalog, guarded_here: list[str]
) -> None:
    good = write_fixture(Fixture("BaoCao_CA_TINH"), tmp_path, catalog)
    fake = tmp_path / "BaoCao_BP_TINH.xlsx"
    fake.write_bytes(b"%PDF-1.7 not a workbook at all")
    items = [(0, good, None), (1, fake, None)]
    isolated = Settings(reader=ReaderMode.ISOLATED)
    read, refused = load_submissions(items, catalog, Limits(), settings=isolated)
    assert guarded_here == []  # both files were guarded in a worker
    assert read.unit_code == "CA_TINH" and read.refusal is None
    here = inspect_file(fake, Limits())
    assert refused.refusal == here and refused.refusal.rule == "file.not_workbook"
    inline = Settings(reader=ReaderMode.INLINE)
    again = load_submissions(items, catalog, Limits(), settings=inline)
    assert [s.refusal for s in again] == [None, here]  # same verdicts in this process


def test_a_reader_given_by_the_caller_gets_what_the_guard_admitted_here(
    tmp_path: Path, catalog: Catalog, guarded_here: list[str]
) -> None:
    good = write_fixture(Fixture("BaoCao_CA_TINH"), tmp_path, catalog)
    layouts: list[Any] = []

    def reader(path: Path, spec: Any, layout: Any) -> Any:
        layouts.append(layout)
        return submission.read_inline(path, spec, layout)

    [sub] = load_submissions([(0, good, None)], catalog, Limits(), reader)
    assert guarded_here == [good.name] and layouts and sub.unit_code == "CA_TINH"


@pytest.mark.timeout(120)
def test_prestart_boots_the_workers_once_and_never_beyond_the_pool_size(
    tmp_path: Path, catalog: Catalog
) -> None:
    pool = ReaderPool(workers=2)
    try:
        assert pool.prestart() == 2
        assert pool.prestart() == 0
        good = write_fixture(Fixture("BaoCao_CA_TINH"), tmp_path, catalog)
        records = pool.read_guarded(good, catalog.template, Limits())
        assert [row.code for row in records.indicators][:1] == ["TT01"]
        assert pool.prestart() == 0 and pool._idle.qsize() == 2
    finally:
        pool.close()


def test_process_workers_warm_up_and_threads_boot_the_readers_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    booted: list[Settings] = []
    monkeypatch.setattr(submission, "prestart_readers", booted.append)
    processes = Settings(task_runner=TaskRunnerName.PROCESSES, workers=2)
    runner = task_runner(processes)
    assert runner._initializer is warm_worker and runner._initargs == (processes,)
    warm_worker(processes)  # what each process-pool worker runs when it starts
    prestart_local_readers(processes)  # the flow's process reads nothing itself
    threads = Settings(task_runner=TaskRunnerName.THREADS)
    prestart_local_readers(threads)
    assert booted == [processes, threads]


@pytest.mark.timeout(120)
def test_a_worker_is_sent_each_template_once(tmp_path: Path, catalog: Catalog) -> None:
    """Pickling the template cost more per file than the report's own records (in the parent,
    under its GIL, and again in the worker): a worker gets each template once, then its key,
    and reads with the template it was last sent for that key."""
    from pcmbn.reading import sandbox

    good = write_fixture(Fixture("BaoCao_CA_TINH"), tmp_path, catalog)
    sheets = catalog.template.sheets.model_copy(update={"tasks": "KhongCo"})
    other = catalog.template.model_copy(update={"sheets": sheets})  # no such sheet in the file
    pool = ReaderPool(workers=1)
    sent: list[bool] = []
    calls = sandbox._Worker.call

    def counting(worker: Any, job: Any, timeout: float) -> Any:
        sent.append(job[2] is not None)
        return calls(worker, job, timeout)

    try:
        sandbox._Worker.call = counting  # type: ignore[method-assign]
        results = [
            pool.read_guarded(good, spec, Limits())
            for spec in (catalog.template, catalog.template, other, catalog.template, other)
        ]
    finally:
        sandbox._Worker.call = calls  # type: ignore[method-assign]
        pool.close()
    assert sent == [True, False, True, False, False]
    missing = [
        [p.params.get("sheet") for p in r.problems if p.rule == "sheet.missing"] for r in results
    ]
    assert missing == [[], [], ["KhongCo"], [], ["KhongCo"]]
    assert all(r.info == results[0].info for r in results)
