"""`pcmbn`: the data officer's single entry point (Vietnamese help, one-line errors).

Commands are thin: they parse arguments, call the pure functions of the package and print a
short result. Expected failures (`PcmbnError`) become one red line; anything else is logged with
its traceback to the log file and the user sees one line saying where that file is.
"""

from __future__ import annotations

import contextlib
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pcmbn import __version__
from pcmbn.cli_frame import VietnameseTyper, localise_framework, usage_error_message
from pcmbn.cli_held import held_app, print_period_deliveries
from pcmbn.console import run_guarded, stop_on_interrupt
from pcmbn.errors import PcmbnError, UsageError
from pcmbn.office.jsonio import dumps_strict
from pcmbn.periods import Period
from pcmbn.resources import Resources, resources_for
from pcmbn.settings import Settings
from pcmbn.vocabulary import Completeness, RuleId, Severity, SubmissionStatus

if TYPE_CHECKING:
    from pcmbn.domain import Labels

console = Console()

app = VietnameseTyper(
    name="pcmbn",
    help=(
        "Công cụ tổng hợp báo cáo phòng, chống mua bán người (PCMBN) của Cơ quan Thường trực "
        "Ban Chỉ đạo 138: tạo biểu mẫu, kiểm tra báo cáo, tổng hợp hằng tháng, theo dõi và nhắc "
        "đơn vị, phê duyệt, lập gói tài liệu hội nghị."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)

PlanOption = Annotated[
    str, typer.Option("--plan", "-p", help="Mã kế hoạch, ví dụ NA-276-KH-UBND-2021.")
]
PeriodOption = Annotated[
    str,
    typer.Option("--period", help='Kỳ báo cáo, ví dụ 2024-07, "Tháng 7/2024", 2024-Q3, 2024-H1.'),
]


def _settings(ctx: typer.Context) -> Settings:
    """The settings `main` read once (read now when the app runs otherwise, e.g. in tests)."""
    return ctx.obj if isinstance(ctx.obj, Settings) else Settings.from_env()


def _show_version(ctx: typer.Context, value: bool) -> None:
    """`pcmbn --version`: the version and the home folder this command works in."""
    if not value or ctx.resilient_parsing:
        return
    console.print(f"pcmbn {__version__}", highlight=False)
    console.print(f"Thư mục dữ liệu: {_settings(ctx).home}", highlight=False, soft_wrap=True)
    raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="In phiên bản và thư mục dữ liệu đang dùng rồi thoát.",
            callback=_show_version,
            is_eager=True,
            expose_value=True,
        ),
    ] = False,
) -> None:
    # No docstring on purpose: the app's help text above is what `pcmbn --help` shows.
    pass


def _resources(ctx: typer.Context) -> Resources:
    """The resources of the settings `main` read once (read now when the app runs otherwise)."""
    return resources_for(_settings(ctx))


#: Screen colours of the statuses; their words are the catalog's (schemas/labels.yaml).
STATUS_COLOUR = {
    Completeness.ON_TIME: "green",
    Completeness.LATE: "yellow",
    Completeness.MISSING: "red",
    Completeness.REJECTED: "red",
    Completeness.RETURNED: "magenta",
}
SEVERITY_COLOUR = {Severity.ERROR: "red", Severity.WARNING: "yellow"}


def _coloured(colour: str, label: str) -> str:
    return f"[{colour}]{label}[/{colour}]"


def _status_styles(labels: Labels) -> dict[Completeness, str]:
    """Completeness status → its coloured label, in the order the tables list them."""
    return {key: _coloured(STATUS_COLOUR[key], labels.completeness[key]) for key in Completeness}


def _severity_style(labels: Labels, severity: str) -> str:
    key = Severity(severity)
    return _coloured(SEVERITY_COLOUR[key], labels.severity[key])


@app.command("template")
def template_command(
    ctx: typer.Context,
    plan: PlanOption,
    period: PeriodOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="Thư mục ghi biểu mẫu.")],
    unit: Annotated[
        str | None, typer.Option("--unit", "-u", help="Mã đơn vị, ví dụ CA_TINH.")
    ] = None,
    all_units: Annotated[
        bool,
        typer.Option(
            "--all-units", help="Tạo biểu mẫu cho mọi đơn vị phải báo cáo trong kỳ, kèm tệp nén."
        ),
    ] = False,
) -> None:
    """Tạo biểu mẫu báo cáo (.xlsx) đã ghi sẵn đơn vị, kế hoạch và kỳ báo cáo."""
    from pcmbn.periods import parse_period
    from pcmbn.service import check_period_in_plan
    from pcmbn.template_writer import write_templates

    if bool(unit) == all_units:
        raise UsageError("Cần chọn đúng một trong hai: --unit MÃ_ĐƠN_VỊ hoặc --all-units.")
    catalog = _resources(ctx).catalog
    the_plan = catalog.plan(plan)
    the_period = parse_period(period)
    check_period_in_plan(the_plan, the_period)
    registry = catalog.registry(the_plan)
    if unit:
        found = registry.get(unit.strip().upper())
        if found is None:
            raise PcmbnError(f'Không có đơn vị "{unit}" trong danh sách {registry.path.name}.')
        units = [found]
    else:
        units = registry.expected(the_plan, the_period)
    paths = write_templates(catalog, the_plan, the_period, units, out)
    table = Table(title=f"Biểu mẫu {the_plan.id} · {the_period.label_vi}")
    table.add_column("Tệp")
    for path in paths:
        table.add_row(str(path))
    console.print(table)
    console.print(f"Đã tạo {len(units)} biểu mẫu trong thư mục [bold]{out}[/bold].")


@app.command("samples")
def samples_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Thư mục ghi báo cáo mẫu.")],
    plan: Annotated[
        str | None,
        typer.Option("--plan", "-p", help="Chỉ tạo cho một kế hoạch (mặc định: tất cả)."),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Hạt giống ngẫu nhiên; cùng hạt giống cho cùng tệp.")
    ] = 2024,
    start: Annotated[
        str | None, typer.Option("--start", help="Kỳ đầu (mặc định: đầu kế hoạch).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Kỳ cuối (mặc định: cuối kế hoạch).")
    ] = None,
) -> None:
    """Tạo bộ báo cáo mẫu như thật (có đơn vị gửi muộn, không gửi, gửi bản sửa, tệp lỗi)."""
    from pcmbn.periods import parse_period
    from pcmbn.samples import generate_samples

    catalog = _resources(ctx).catalog
    plans = [catalog.plan(plan).id] if plan else None
    with console.status("Đang tạo báo cáo mẫu…"):
        result = generate_samples(
            catalog,
            out,
            plan_ids=plans,
            seed=seed,
            start=parse_period(start) if start else None,
            end=parse_period(end) if end else None,
        )
    late = sum(f.late for f in result.files)
    console.print(
        f"Đã tạo {len(result.files)} tệp báo cáo mẫu trong [bold]{out}[/bold] "
        f"({late} gửi muộn, {len(result.missing)} lượt đơn vị không gửi). "
        f"Xem {out / 'README.md'}."
    )


@app.command("catalog")
def catalog_command(ctx: typer.Context) -> None:
    """Kiểm tra và tóm tắt danh mục (chỉ tiêu, đơn vị, kế hoạch, quy tắc kiểm tra)."""
    resources = _resources(ctx)
    catalog = resources.catalog
    console.print(f"Danh mục: [bold]{catalog.root}[/bold] — hợp lệ.")
    console.print(f"Thư mục dữ liệu: [bold]{resources.settings.home}[/bold]", highlight=False)
    plans = Table("Kế hoạch", "Tỉnh", "Thời gian", "Đơn vị", "Nhiệm vụ", title="Kế hoạch")
    milestones = Table("Kế hoạch", "Mốc", "Kỳ", "Nội dung", title="Mốc hội nghị")
    for plan in catalog.plans.values():
        registry = catalog.registry(plan)
        plans.add_row(
            plan.id,
            plan.province,
            f"{plan.span.start.label_vi} – {plan.span.end.label_vi}",
            f"{len(registry.units)} ({registry.path.name})",
            str(len(plan.tasks)),
        )
        for m in plan.milestones:
            label = catalog.labels.milestones[m.kind].label
            span = m.period.label_vi
            if m.start is not None:
                span = f"{m.start.first_month.label_vi} – {m.period.last_month.label_vi}"
            milestones.add_row(plan.id, label, span, m.name)
    console.print(plans)
    console.print(milestones)
    console.print(
        f"{len(catalog.indicators)} chỉ tiêu, {len(catalog.kinds)} loại đơn vị, "
        f"{len(catalog.rules)} quy tắc kiểm tra, biểu mẫu phiên bản {catalog.template.version}."
    )


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for every file under it (sorted, hidden ones skipped)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.parts)
                and p.suffix.lower() not in (".csv", ".md", ".txt")
            )
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"Không tìm thấy tệp hoặc thư mục: {path}")
    if not files:
        raise UsageError("Không có tệp nào để kiểm tra.")
    return files


@app.command("check")
def check_command(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(metavar="TỆP", help="Tệp báo cáo (.xlsx, .xlsm, .xls, .ods) hoặc thư mục."),
    ],
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text: bảng dễ đọc; json: cho máy.")
    ] = OutputFormat.TEXT,
    feedback: Annotated[
        Path | None,
        typer.Option("--feedback", help="Thư mục ghi tệp góp ý (mặc định: $PCMBN_HOME/feedback)."),
    ] = None,
    no_feedback: Annotated[
        bool, typer.Option("--no-feedback", help="Không ghi tệp góp ý.")
    ] = False,
    html_report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Ghi kết quả kiểm tra thành một tệp HTML (tiếng Việt, mở được khi không có mạng).",
        ),
    ] = None,
) -> None:
    """Kiểm tra báo cáo trước khi gửi: chỉ rõ trang, ô cần sửa (mã thoát 0: đạt, 1: bị từ chối)."""
    from pcmbn.serve.client import connect

    paths = _expand(files)
    resources = _resources(ctx)
    # A running service checks with everything already loaded; it writes feedback into this
    # home's folder, so an explicit --feedback folder or an HTML report runs here instead.
    client = connect(resources.settings) if feedback is None and html_report is None else None
    waiting = console.status(f"Đang kiểm tra {len(paths)} tệp…")
    with waiting if output is OutputFormat.TEXT else contextlib.nullcontext():
        if client is not None:
            document = {"files": []}
            for path in paths:
                (item,) = client.check_file(path, feedback=not no_feedback)["files"]
                item["path"] = str(path)  # the service saw a private copy
                document["files"].append(item)
        else:
            document = _check_here(resources, paths, feedback, no_feedback, html_report)
    if output is OutputFormat.JSON:
        sys.stdout.write(dumps_strict(document, indent=2) + "\n")
    else:
        _print_check(document, html_report, resources.catalog.labels)
    if any(item["status"] != SubmissionStatus.ACCEPTED for item in document["files"]):
        raise typer.Exit(1)


def _check_here(
    resources: Resources,
    paths: list[Path],
    feedback: Path | None,
    no_feedback: bool,
    html_report: Path | None,
) -> dict[str, Any]:
    """`pcmbn check` in this process: the JSON document, feedback files written."""
    from pcmbn.service import check_document, check_reports

    result = check_reports(resources, paths)
    if html_report is not None:
        from pcmbn.validation.html_report import write_report

        write_report(result, resources.catalog, html_report, generated_at=datetime.now(tz=UTC))
    feedback_dir = None if no_feedback else feedback or resources.layout.check_feedback_dir
    return check_document(resources, result, feedback_dir)


def _print_check(document: dict[str, Any], html_report: Path | None, labels: Labels) -> None:
    """The check's JSON document in words (the same whether this process or the service
    checked the files)."""
    from pcmbn.periods import Period

    for item in document["files"]:
        status = (
            "[green]ĐẠT[/green]"
            if item["status"] == SubmissionStatus.ACCEPTED
            else "[red]BỊ TỪ CHỐI[/red]"
        )
        period = Period.from_code(item["period"]).label_vi if item.get("period") else None
        who = " · ".join(x for x in (item.get("unit_code"), period) if x)
        console.print(
            f"\n[bold]{escape(Path(item['path']).name)}[/bold] "
            f"{f'({escape(who)}) ' if who else ''}— {status}",
            highlight=False,
        )
        if item["problems"]:
            # Issue 12.15: rule ids are for scripts (`--format json`), not for the clerk; the
            # message wraps at any terminal width rather than being cut with "…".
            table = Table(show_lines=False)
            table.add_column("Mức độ", no_wrap=True)
            table.add_column("Ô", overflow="fold")
            table.add_column("Nội dung", overflow="fold", ratio=1)
            for p in item["problems"]:
                where = f"{p['sheet']}!{p['cell']}" if p["cell"] else (p["sheet"] or "cả tệp")
                table.add_row(
                    _severity_style(labels, p["severity"]), escape(where), escape(p["message"])
                )
            console.print(table)
        if item.get("history_rules_skipped"):
            rules = "; ".join(
                labels.history.rules[RuleId(r)] for r in item["history_rules_skipped"]
            )
            console.print(
                _coloured("yellow", labels.history.skipped.format(rules=rules)), highlight=False
            )
        if item.get("feedback"):
            console.print(f"Tệp góp ý: {escape(item['feedback'])}", highlight=False)
    files = document["files"]
    accepted = sum(item["status"] == SubmissionStatus.ACCEPTED for item in files)
    console.print(
        f"\nĐã kiểm tra {len(files)} tệp: {accepted} đạt, {len(files) - accepted} bị từ chối.",
        highlight=False,
    )
    if html_report is not None:
        console.print(f"Kết quả kiểm tra (HTML): {html_report}", highlight=False)


@app.command("run")
def run_command(
    ctx: typer.Context,
    plan: PlanOption,
    period: Annotated[
        list[str] | None,
        typer.Option(
            "--period",
            help="Kỳ báo cáo (mặc định: tháng vừa chốt số liệu); ghi nhiều lần để chạy lần lượt.",
        ),
    ] = None,
    inbox: Annotated[
        str | None,
        typer.Option("--inbox", help="Thư mục nhận báo cáo (mặc định: $PCMBN_HOME/inbox/KH/KỲ)."),
    ] = None,
    units: Annotated[
        str | None,
        typer.Option("--units", help="Chỉ chạy lại cho các đơn vị này, ví dụ CA_TINH,BP_TINH."),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text: bảng dễ đọc; json: cho máy.")
    ] = OutputFormat.TEXT,
) -> None:
    """Tổng hợp báo cáo tháng: lưu trữ, kiểm tra, tổng hợp toàn tỉnh, theo dõi đơn vị gửi."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from pcmbn.clock import today_in_vietnam
    from pcmbn.progress import listening
    from pcmbn.service import check_run_arguments, run_inbox

    resources = _resources(ctx)
    unit_list = [u for u in (units or "").split(",") if u.strip()] or None
    periods: list[str | None] = list(period or [None])
    if output is OutputFormat.JSON and len(periods) > 1:
        raise UsageError("Với --format json, chỉ chạy một kỳ mỗi lần (một --period).")
    # Every argument is checked against the catalog before Prefect is even imported: a typo
    # answers at once and leaves no failed flow run behind.
    checked = [
        check_run_arguments(resources.catalog, plan, one, today_in_vietnam(), unit_list)
        for one in periods
    ]
    folders = [run_inbox(resources, c.plan, c.period, inbox) for c in checked]

    from pcmbn.console import route_logs_to_file
    from pcmbn.serve.client import connect

    route_logs_to_file(resources.layout.log_file)
    client = connect(resources.settings)
    if client is not None:
        monthly_aggregation = _ThroughService(
            client, "monthly-aggregation", resources.settings.actor
        )
    else:
        from flows.monthly_aggregation import monthly_aggregation
    if output is OutputFormat.JSON:
        document = monthly_aggregation(plan, checked[0].period.code, inbox, unit_list)
        sys.stdout.write(dumps_strict(document, indent=2, default=str) + "\n")
        return
    for args, folder in zip(checked, folders, strict=True):
        one = args.period.code
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            head = f"Kỳ {args.period.label_vi}"
            task = bar.add_task(f"{head}: đang bắt đầu…", total=100)

            def show(snap: Any, task: Any = task, head: str = head) -> None:
                count = f" {snap.done}/{snap.total}" if snap.total > 1 else ""
                bar.update(task, completed=snap.fraction * 100,
                           description=f"{head}: {snap.label}{count}")  # fmt: skip

            with listening(show):
                document = monthly_aggregation(plan, one, inbox, unit_list)
        summary = _after_run(resources, monthly_aggregation, args.plan, args.period, folder)
        _print_run(document, resources, summary)


def _print_refused(refused: list[dict[str, str]]) -> None:
    """Inbox entries intake never opened (symlinks, FIFOs, empty or over-sized files...), one
    line each: the officer sees them apart from the reports that were read and rejected."""
    if not refused:
        return
    console.print(
        f"[yellow]{len(refused)} mục trong thư mục nhận bị từ chối ngay khi nhận (không mở, "
        "không lưu trữ):[/yellow]",
        highlight=False,
    )
    for entry in refused:
        console.print(f"  - {escape(entry['name'])}: {escape(entry['message'])}", highlight=False)


class _ThroughService:
    """A stand-in for the flow function (its positional parameters `names`) that runs it in
    the warm service instead, as a run of the flow's on-demand deployment; `last` is the
    finished job (its `summary` spares this process the store)."""

    def __init__(
        self,
        client: Any,
        flow: str,
        actor: str,
        names: tuple[str, ...] = ("plan", "period", "inbox", "units"),
    ) -> None:
        self.client, self.flow, self.actor, self.names = client, flow, actor, names
        self.last: dict[str, Any] | None = None

    def __call__(self, *values: Any) -> Any:
        from pcmbn.progress import Snapshot, current_listener

        listener = current_listener()

        def relay(job: dict[str, Any]) -> None:
            if listener is not None and job.get("progress"):
                listener(Snapshot(**job["progress"]))

        parameters = dict(zip(self.names, values, strict=True))
        job = self.client.run_flow(self.flow, parameters, relay, self.actor)
        self.last = job
        if job["state"] != "COMPLETED":
            raise PcmbnError(job.get("error") or f"Lượt chạy {job['name']} không hoàn thành.")
        return job["result"]


def _after_run(resources: Resources, flow: Any, plan: Any, period: Any, folder: str) -> Any:
    """The run's `RunSummary`: from the service's job when it ran there, else the store."""
    from pcmbn.service import RunSummary, run_summary

    job = getattr(flow, "last", None)
    if job and isinstance(job.get("summary"), dict):
        return RunSummary(inbox=folder, **job["summary"])
    return run_summary(resources, plan, period, folder)


def _print_run(document: dict[str, Any], resources: Resources, summary: Any) -> None:
    """The run's result in words; `summary` is the service's `RunSummary` (inbox, approval)."""
    files = document["files"]
    console.print(
        f"[bold]{document['plan_id']} · kỳ {document['period']}[/bold]: "
        f"{files['accepted']} tệp được nhận, {files['rejected']} bị từ chối, "
        f"{files['superseded']} được thay thế bằng bản sửa, {files['other_period']} thuộc kỳ khác.",
        highlight=False,
    )
    console.print(f"Thư mục nhận báo cáo đã đọc: {summary.inbox}", highlight=False)
    _print_refused(document.get("refused", []))
    if summary.approved:
        console.print(
            f"[yellow]Kỳ {document['period']} đã được phê duyệt: số liệu đã khóa không đổi. "
            f"{summary.pending} tệp đang chờ mở lại kỳ; chạy pcmbn reopen --plan "
            f'{document["plan_id"]} --period {document["period"]} --reason "..." rồi chạy '
            "lại để tiếp nhận các tệp này.[/yellow]",
            highlight=False,
        )
    elif not any(files.values()):
        console.print(
            f"[yellow]Không có tệp báo cáo nào trong thư mục nhận {summary.inbox}; mọi đơn vị "
            "được ghi là chưa gửi.[/yellow]",
            highlight=False,
        )
    statuses = list(document["completeness"].values())
    table = Table("Tình trạng", "Số đơn vị", title="Tình hình gửi báo cáo")
    for key, label in _status_styles(resources.catalog.labels).items():
        table.add_row(label, str(statuses.count(key)))
    console.print(table)
    outputs = document["outputs"]
    console.print(f"Báo cáo tổng hợp: {outputs['summary']}", highlight=False)
    console.print(f"Tệp góp ý cho đơn vị: {outputs['feedback_dir']}", highlight=False)
    console.print(f"Kết quả kiểm tra (HTML): {outputs['validation_report']}", highlight=False)
    console.print(f"Bảng số liệu CSV/Parquet: {outputs['exports_dir']}", highlight=False)
    reminders = resources.layout.reminders(document["plan_id"], document["period"])
    if reminders.exists():
        console.print(f"Danh sách nhắc đơn vị chưa gửi / bị từ chối: {reminders}", highlight=False)


@app.command("status")
def status_command(ctx: typer.Context, plan: PlanOption, period: PeriodOption) -> None:
    """Xem đơn vị nào đã gửi đúng hạn, muộn, chưa gửi, bị từ chối hoặc bị trả lại trong kỳ, và các
    tệp đang tạm giữ."""
    from pcmbn.clock import OFFICE_TZ
    from pcmbn.periods import format_date_vi, parse_period
    from pcmbn.service import period_status

    resources = _resources(ctx)
    the_plan = resources.catalog.plan(plan)
    status = period_status(resources, the_plan, parse_period(period))
    table = Table(
        "Mã đơn vị",
        "Tên đơn vị",
        "Tình trạng",
        "Thời điểm nhận",
        "Tệp",
        title=f"{the_plan.id} · {status.period.label_vi} · hạn gửi {format_date_vi(status.due)}",
    )
    styles = _status_styles(resources.catalog.labels)
    for row in status.table.itertuples():
        received = (
            row.received_at.astimezone(OFFICE_TZ).strftime("%d/%m/%Y %H:%M")
            if isinstance(row.received_at, datetime) and row.received_at == row.received_at
            else "—"  # NaT is a datetime too, and the only one not equal to itself
        )
        table.add_row(
            row.unit_code,
            row.unit_name,
            styles[row.status],
            received,
            row.file_name if isinstance(row.file_name, str) else "—",
        )
    console.print(table)
    for row in status.pending.itertuples():
        console.print(
            f"[yellow]Chờ mở lại kỳ[/yellow] (kỳ đã được phê duyệt, chờ mở lại): "
            f"{row.original_name} — {row.unit_code or '?'}",
            highlight=False,
        )
    counts = status.counts()
    console.print(", ".join(f"{label}: {counts.get(k, 0)}" for k, label in styles.items()))
    print_period_deliveries(resources, the_plan, status.period)


@app.command("approve")
def approve_command(
    ctx: typer.Context,
    plan: PlanOption,
    period: PeriodOption,
    note: Annotated[str | None, typer.Option("--note", help="Ghi chú kèm phê duyệt.")] = None,
) -> None:
    """Phê duyệt và khóa số liệu một kỳ (bản sửa gửi sau sẽ chờ mở lại kỳ)."""
    from pcmbn.periods import parse_period
    from pcmbn.service import approve, frozen_count

    resources = _resources(ctx)
    the_plan, the_period = resources.catalog.plan(plan), parse_period(period)
    approval = approve(resources, the_plan, the_period, note)
    console.print(
        f"Đã phê duyệt kỳ {the_period.label_vi} ({the_plan.id}) — người duyệt "
        f"{approval['approved_by']}; {frozen_count(approval)} báo cáo được khóa.",
        highlight=False,
    )


@app.command("reopen")
def reopen_command(
    ctx: typer.Context,
    plan: PlanOption,
    period: PeriodOption,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Lý do mở lại (bắt buộc, được ghi nhận).")
    ] = None,
) -> None:
    """Mở lại kỳ đã phê duyệt để chạy lại tổng hợp với bản sửa (phải ghi lý do)."""
    from pcmbn.periods import parse_period
    from pcmbn.service import reopen

    resources = _resources(ctx)
    the_plan, the_period = resources.catalog.plan(plan), parse_period(period)
    reopen(resources, the_plan, the_period, reason)
    console.print(
        f"Đã mở lại kỳ {the_period.label_vi} ({the_plan.id}). Chạy lại: pcmbn run "
        f"--plan {the_plan.id} --period {the_period.code}",
        highlight=False,
    )


@app.command("remind")
def remind_command(
    ctx: typer.Context,
    plan: PlanOption,
    period: PeriodOption,
    send: Annotated[
        bool,
        typer.Option(
            "--send", help="Gửi thật qua máy chủ thư (mặc định chỉ in ra các thư sẽ gửi)."
        ),
    ] = False,
) -> None:
    """Nhắc bằng thư điện tử các đơn vị chưa gửi, bị từ chối hoặc bị trả lại báo cáo (mặc định:
    xem trước)."""
    from pcmbn.console import route_logs_to_file
    from pcmbn.periods import parse_period
    from pcmbn.service import awaiting_run, compose_reminders, ever_run, send_reminders

    resources = _resources(ctx)
    route_logs_to_file(resources.layout.log_file)
    the_plan, the_period = resources.catalog.plan(plan), parse_period(period)
    if not ever_run(resources, the_plan, the_period):
        console.print(
            f"[yellow]Kỳ {the_period.label_vi} chưa được tổng hợp lần nào: mọi đơn vị được coi là "
            f"chưa gửi. Nên chạy trước: pcmbn run --plan {the_plan.id} --period "
            f"{the_period.code}[/yellow]",
            highlight=False,
        )
    waiting = awaiting_run(resources, the_plan, the_period)
    reminders = compose_reminders(resources, the_plan, the_period, waiting)
    if waiting:
        console.print(
            f"[yellow]Không nhắc {len(waiting)} đơn vị đã gửi báo cáo {the_period.label_vi} "
            f"chưa được tổng hợp ({', '.join(sorted(waiting))}). Chạy pcmbn run --plan "
            f"{the_plan.id} --period {the_period.code} để xét các tệp này.[/yellow]",
            highlight=False,
        )
    if not reminders:
        console.print(
            "Không có thư nhắc nào."
            if waiting
            else f"Mọi đơn vị đã gửi báo cáo {the_period.label_vi} hợp lệ; không có thư nhắc nào.",
            highlight=False,
        )
        return
    if not send:
        for r in reminders:
            console.rule(f"{r.unit_code} → {r.to or '(chưa có địa chỉ thư)'}")
            console.print(f"[bold]Tiêu đề:[/bold] {r.subject}", highlight=False)
            console.print(r.body, highlight=False, markup=False)
            if r.attachment:
                console.print(f"[bold]Tệp đính kèm:[/bold] {r.attachment}", highlight=False)
        console.print(
            f"[yellow]Chế độ xem trước: chưa gửi thư nào ({len(reminders)} thư). "
            "Thêm --send để gửi.[/yellow]",
            highlight=False,
        )
        return
    deliveries = send_reminders(resources, the_plan, the_period, reminders)
    table = Table("Mã đơn vị", "Địa chỉ thư", "Kết quả", title=f"Thư nhắc {the_period.label_vi}")
    for d in deliveries:
        table.add_row(
            d.unit_code, d.to or "—", "Đã gửi" if d.sent else f"Không gửi được: {d.error}"
        )
    console.print(table)
    sent = sum(d.sent for d in deliveries)
    console.print(f"Đã gửi {sent}/{len(deliveries)} thư nhắc.", highlight=False)
    failed = [d for d in deliveries if not d.sent]  # issue 12.11: a failure is not a success
    if failed:
        reasons = "; ".join(dict.fromkeys(d.error or "không rõ lý do" for d in failed))
        raise PcmbnError(f"{len(failed)}/{len(deliveries)} thư nhắc không gửi được: {reasons}")


class MilestoneChoice(StrEnum):
    so_ket = "so_ket"
    tong_ket = "tong_ket"


@app.command("mail")
def mail_command(
    ctx: typer.Context,
    plan: Annotated[
        str | None,
        typer.Option(
            "--plan",
            "-p",
            help="Kế hoạch của tệp không ghi rõ kế hoạch (mặc định: theo nội dung tệp).",
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text: dễ đọc; json: cho máy.")
    ] = OutputFormat.TEXT,
) -> None:
    """Thu thập ngay các báo cáo gửi qua thư điện tử vào hộp thư của Cơ quan Thường trực."""
    from pcmbn.console import route_logs_to_file
    from pcmbn.serve.client import connect

    resources = _resources(ctx)
    route_logs_to_file(resources.layout.log_file)
    if plan is not None:
        resources.catalog.plan(plan)  # a typo is refused before anything connects
    from pcmbn.mailbox.imap import ImapSettings

    ImapSettings.from_settings(resources.settings)  # no mailbox configured: said at once
    client = connect(resources.settings)
    if client is not None:
        mail_intake = _ThroughService(
            client, "thu-thap-thu-dien-tu", resources.settings.actor, ("plan",)
        )
    else:
        from flows.mail_intake import mail_intake
    with console.status("Đang đọc hộp thư…"):
        summary = mail_intake(plan)
    if output is OutputFormat.JSON:
        sys.stdout.write(dumps_strict(summary, indent=2) + "\n")
        return
    files = summary.get("files", {})
    console.print(
        f"[bold]Hộp thư[/bold]: {summary.get('messages', 0)} thư mới; tiếp nhận "
        f"{files.get('received', 0)} tệp, {files.get('duplicate', 0)} tệp đã nhận trước đó, "
        f"giữ lại {files.get('held', 0)} tệp chờ xử lý (pcmbn held list), "
        f"{files.get('refused', 0) + files.get('unfiled', 0)} tệp không tiếp nhận; "
        f"đã trả lời {summary.get('answered', 0)} thư.",
        highlight=False,
    )


@app.command("packet")
def packet_command(
    ctx: typer.Context,
    plan: PlanOption,
    milestone: Annotated[
        MilestoneChoice,
        typer.Option("--milestone", "-m", help="so_ket (sơ kết) hoặc tong_ket (tổng kết)."),
    ],
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="Kỳ của mốc (khi kế hoạch có nhiều mốc cùng loại) hoặc kỳ kết thúc tự chọn.",
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="Kỳ bắt đầu (mặc định: tháng đầu của mốc nếu mốc có, không thì của kế hoạch).",
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text: dễ đọc; json: cho máy.")
    ] = OutputFormat.TEXT,
) -> None:
    """Lập gói tài liệu hội nghị sơ kết / tổng kết: phụ lục số liệu, biểu đồ, dự thảo báo cáo."""
    from pcmbn.console import route_logs_to_file
    from pcmbn.serve.client import connect

    resources = _resources(ctx)
    route_logs_to_file(resources.layout.log_file)
    client = connect(resources.settings)
    if client is not None:
        conference_packet = _ThroughService(
            client,
            "conference-packet",
            resources.settings.actor,
            ("plan", "milestone", "period", "start"),
        )
    else:
        from flows.conference_packet import conference_packet
    if output is OutputFormat.JSON:
        document = conference_packet(plan, milestone.value, period, start)
        sys.stdout.write(dumps_strict(document, indent=2) + "\n")
        return
    with console.status("Đang lập gói tài liệu hội nghị…"):
        document = conference_packet(plan, milestone.value, period, start)
    span = document["span"]
    console.print(
        f"[bold]Gói tài liệu hội nghị[/bold] ({document['plan_id']}, {span['start']} → "
        f"{span['end']}): {document['packet']}",
        highlight=False,
    )
    if document["missing_periods"]:
        console.print(
            "[yellow]Chưa đủ số liệu: không có báo cáo nào của "
            + ", ".join(Period.from_code(c).in_sentence for c in document["missing_periods"])
            + " (gói ghi rõ điều này).[/yellow]",
            highlight=False,
        )
    if document.get("warned_totals"):
        marker = _resources(ctx).catalog.labels.warned.marker
        console.print(
            f"[yellow]Số liệu còn cảnh báo chưa xử lý (đánh dấu {marker} trong gói): "
            + ", ".join(document["warned_totals"])
            + ".[/yellow]",
            highlight=False,
        )


@app.command("serve")
def serve_command(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option("--host", help="Địa chỉ của trang web (mặc định: 127.0.0.1, chỉ máy này)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="Cổng của trang web (mặc định: 8138)."),
    ] = None,
    prefect_port: Annotated[
        int | None,
        typer.Option(
            "--prefect-port", min=1, max=65535, help="Cổng của máy chủ Prefect (mặc định: 4238)."
        ),
    ] = None,
) -> None:
    """Chạy dịch vụ thường trực: máy chủ Prefect, các lịch chạy, trang web và kiểm tra nhanh."""
    from pcmbn.serve.supervisor import check_serve_address, serve

    settings = _settings(ctx)
    code = serve(
        settings,
        check_serve_address(host) if host is not None else None,
        port,
        prefect_port,
        say=lambda text: console.print(text, highlight=False, soft_wrap=True),
    )
    if code:
        raise typer.Exit(code)


@app.command("export-upward")
def export_upward_command(
    ctx: typer.Context,
    plan: PlanOption,
    period: PeriodOption,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Thư mục ghi báo cáo (mặc định: $PCMBN_HOME/outputs/KH/KỲ/len-cap-tren).",
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Kế hoạch cấp trên nhận báo cáo (mặc định: kế hoạch duy nhất)."),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text: dễ đọc; json: cho máy.")
    ] = OutputFormat.TEXT,
) -> None:
    """Lập báo cáo của tỉnh gửi cấp trên: một biểu mẫu đã điền (tỉnh là một đơn vị) và tệp JSON."""
    from pcmbn.service import export_upward

    result = export_upward(_resources(ctx), plan, period, out, to)
    if output is OutputFormat.JSON:
        sys.stdout.write(dumps_strict(result.document, indent=2) + "\n")
        return
    done = result.document["completeness"]
    console.print(
        f"[bold]Báo cáo lên cấp trên[/bold] ({result.national_plan}, đơn vị {result.unit_code}, "
        f"{result.document['period_label']}): {result.workbook}",
        highlight=False,
    )
    console.print(f"Tệp JSON: {result.json_file}", highlight=False)
    if done["without_report"]:
        console.print(
            f"[yellow]Số liệu chưa đầy đủ: {len(done['without_report'])}/{done['expected']} "
            "đơn vị chưa có báo cáo được chấp nhận (ghi rõ trong mục Khó khăn, vướng mắc)."
            "[/yellow]",
            highlight=False,
        )


accounts_app = VietnameseTyper(
    name="accounts",
    help="Tài khoản cổng báo cáo: cấp mới hoặc cấp lại mật khẩu dùng một lần.",
    no_args_is_help=True,
)
app.add_typer(accounts_app)


@accounts_app.command("create")
def accounts_create_command(
    ctx: typer.Context,
    plan: Annotated[
        str | None, typer.Option("--plan", "-p", help="Mã kế hoạch của tài khoản đơn vị.")
    ] = None,
    unit: Annotated[
        list[str] | None, typer.Option("--unit", help="Mã đơn vị (có thể lặp lại).")
    ] = None,
    all_units: Annotated[
        bool, typer.Option("--all-units", help="Mọi đơn vị của kế hoạch trong kỳ hiện tại.")
    ] = False,
    officer: Annotated[
        str | None, typer.Option("--officer", help="Tên tài khoản cán bộ Cơ quan Thường trực.")
    ] = None,
    leader: Annotated[
        bool,
        typer.Option(
            "--leader",
            help="Tài khoản lãnh đạo đơn vị (duyệt báo cáo chuyên viên gửi, khi kế hoạch yêu cầu).",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Tệp CSV unit,username,password để giao cho đơn vị."),
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Gửi mỗi đơn vị mật khẩu qua thư điện tử.")
    ] = False,
) -> None:
    """Cấp (hoặc cấp lại) tài khoản cổng báo cáo với mật khẩu dùng một lần."""
    from pcmbn.office.atomic import atomic_write
    from pcmbn.portal import accounts

    resources = _resources(ctx)
    settings = resources.settings
    now = datetime.now(UTC)
    if officer is not None:
        if plan or unit or all_units or leader:
            raise UsageError("--officer không dùng cùng --plan, --unit, --all-units, --leader.")
        issued = [accounts.issue_officer(resources, officer, now, settings.actor)]
    else:
        if not plan or bool(unit) == all_units:
            raise UsageError(
                "Cần --plan và đúng một trong --unit MÃ hoặc --all-units (hoặc --officer TÊN)."
            )
        if out is None and not send:
            raise UsageError("Cần --out TỆP.csv (và/hoặc --send) để giao mật khẩu cho đơn vị.")
        the_plan = resources.catalog.plan(plan)
        issued = accounts.issue_unit_accounts(
            resources,
            the_plan,
            None if all_units else list(unit or []),
            now,
            settings.actor,
            leader=leader,
        )
    if out is not None:
        atomic_write(out, accounts.issued_csv(issued))
        console.print(
            f"Đã cấp {len(issued)} tài khoản; mật khẩu dùng một lần trong {out}.",
            highlight=False,
            soft_wrap=True,
        )
    elif officer is not None:
        (item,) = issued
        console.print(
            f"Tài khoản {item.username}: mật khẩu dùng một lần {item.password}",
            highlight=False,
            markup=False,
        )
    if send and officer is None:
        url = settings.service_url or f"http://{settings.serve_host}:{settings.serve_port}"
        letters = accounts.account_letters(issued, the_plan, url.rstrip("/"))
        deliveries = resources.mailer.send(letters)
        sent = sum(d.sent for d in deliveries)
        console.print(f"Đã gửi {sent}/{len(deliveries)} thư cấp tài khoản.", highlight=False)
        failed = [d for d in deliveries if not d.sent]
        if failed:
            reasons = "; ".join(dict.fromkeys(f"{d.unit_code}: {d.error}" for d in failed))
            raise PcmbnError(f"{len(failed)} thư cấp tài khoản không gửi được: {reasons}")


@app.command("log")
def log_command(
    ctx: typer.Context,
    plan: PlanOption,
    period: Annotated[str | None, typer.Option("--period", help="Chỉ một kỳ.")] = None,
) -> None:
    """Nhật ký: mọi lượt chạy, phê duyệt, mở lại, nhắc nhở (ai, khi nào, việc gì, vì sao)."""
    from pcmbn.clock import OFFICE_TZ
    from pcmbn.periods import parse_period

    resources = _resources(ctx)
    the_plan = resources.catalog.plan(plan)
    the_period = parse_period(period) if period else None
    rows = resources.store.audit_log(the_plan.id, the_period)
    labels = resources.catalog.labels
    table = Table("#", "Thời điểm", "Người", "Việc", "Kỳ", "Chi tiết", title=f"Nhật ký {plan}")
    for row in rows.itertuples():
        table.add_row(
            str(row.seq),
            row.logged_at.astimezone(OFFICE_TZ).strftime("%d/%m/%Y %H:%M"),
            row.actor,
            labels.action(row.action),
            row.period or "",
            row.detail or "",
        )
    console.print(table)


app.add_typer(held_app, name="held")


def main() -> None:
    """Console entry point: read the settings once, run the app with them (`ctx.obj`),
    turning every failure into one readable Vietnamese line.

    The app runs with `standalone_mode=False` so the framework's usage errors reach us (not
    its English panel): they become a `UsageError` (exit 2) worded by `usage_error_message`.
    """
    localise_framework()
    stop_on_interrupt()
    run_guarded(_run_app)


def _run_app(settings: Settings) -> None:
    from typer._click.exceptions import NoArgsIsHelpError
    from typer._click.exceptions import UsageError as FrameworkUsageError

    try:
        code = app(obj=settings, prog_name="pcmbn", standalone_mode=False)
    except NoArgsIsHelpError:
        sys.exit(2)  # the help was printed; no command was given
    except FrameworkUsageError as exc:
        raise UsageError(usage_error_message(exc)) from None
    if code == 130:  # typer turns Ctrl-C into exit code 130 without a word
        raise KeyboardInterrupt
    if isinstance(code, int) and code:
        sys.exit(code)
