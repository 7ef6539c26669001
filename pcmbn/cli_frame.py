"""The Vietnamese face of the command-line framework (typer + its vendored click + rich).

A data officer reads every word `pcmbn` prints, including what the framework itself writes:
the usage line, the help panels' headings, the type column, the `--help` option's text and
usage errors. Typer has no translation hook, so this module supplies the pieces it does offer:

- `localise_framework()` sets typer's documented module-level strings (panel titles, default
  and required markers); it is called by the CLI's `main`, never at import time;
- `VietnameseTyper` / `VietnameseGroup` / `VietnameseCommand` are ordinary subclasses that
  write the usage line in Vietnamese, describe each value's kind in Vietnamese words and word
  the help option;
- `usage_error_message(exc)` turns a framework usage error (missing option, unknown option or
  command, a value of the wrong kind) into one Vietnamese sentence, built from the exception's
  attributes (its parameter, its offending value) rather than from its English text.
"""

from __future__ import annotations

from collections.abc import Callable
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import typer
from typer import _click
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

__all__ = [
    "HELP_OPTION_TEXT",
    "OPTIONS_METAVAR",
    "SUBCOMMAND_METAVAR",
    "USAGE_PREFIX",
    "VietnameseCommand",
    "VietnameseGroup",
    "VietnameseTyper",
    "localise_framework",
    "usage_error_message",
]

USAGE_PREFIX = "Cách dùng: "
OPTIONS_METAVAR = "[TÙY CHỌN]"
SUBCOMMAND_METAVAR = "LỆNH [THAM SỐ]..."
HELP_OPTION_TEXT = "Xem hướng dẫn này rồi thoát."

#: typer.rich_utils' module-level strings (the only thing of typer's this module replaces).
RICH_STRINGS = {
    "ARGUMENTS_PANEL_TITLE": "Đối số",
    "OPTIONS_PANEL_TITLE": "Tùy chọn",
    "COMMANDS_PANEL_TITLE": "Lệnh",
    "ERRORS_PANEL_TITLE": "Lỗi cách dùng",
    "ABORTED_TEXT": "Đã hủy.",
    "RICH_HELP": "Xem hướng dẫn: [blue]'{command_path} {help_option}'[/].",
    "DEFAULT_STRING": "[mặc định: {}]",
    "REQUIRED_LONG_STRING": "[bắt buộc]",
    "ENVVAR_STRING": "[biến môi trường: {}]",
    "DEPRECATED_STRING": "(không dùng nữa) ",
}

#: What a value is, by parameter name: clearer to a data officer than its Python type.
VALUE_KIND = {
    "plan": "mã kế hoạch",
    "unit": "mã đơn vị",
    "units": "mã,mã…",
    "period": "kỳ",
    "start": "kỳ",
    "end": "kỳ",
    "out": "thư mục",
    "feedback": "thư mục",
    "html_report": "tệp",
    "inbox": "thư mục",
    "files": "tệp|thư mục",
    "note": "chữ",
    "reason": "chữ",
    "seed": "số nguyên",
}

#: By Python type, when the name says nothing.
TYPE_KIND: dict[type, str] = {str: "chữ", int: "số nguyên", float: "số", Path: "đường dẫn"}


def localise_framework() -> None:
    """Put typer's help and error headings in Vietnamese (module constants, once per process)."""
    from typer import rich_utils

    for name, text in RICH_STRINGS.items():
        setattr(rich_utils, name, text)


def _value_kind(param: TyperArgument | TyperOption, ctx: _click.Context) -> str:
    """The type column of the help: Vietnamese words, the literal choices, nothing for flags."""
    if isinstance(param, TyperOption) and param.is_flag:
        return ""
    desc = param.type_descriptor
    if desc.is_choice:
        return TyperOption.display_type(param, ctx)  # the values one types: <so_ket|tong_ket>
    kind = VALUE_KIND.get(param.name or "")
    if kind is None:
        annotation = desc.annotation
        inner = getattr(annotation, "__args__", None)
        if desc.is_list and inner:
            annotation = inner[0]
        kind = TYPE_KIND.get(annotation, "giá trị") if isinstance(annotation, type) else "giá trị"
    many = "..." if desc.is_list else ""
    return f"<{kind}>{many}"


class VietnameseOption(TyperOption):
    """An option whose help row names its value's kind in Vietnamese."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        return _value_kind(self, ctx)


class VietnameseArgument(TyperArgument):
    """An argument whose help row names its value's kind in Vietnamese."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        return _value_kind(self, ctx)


def _vietnamese_params(params: list[Any]) -> None:
    """Give the parameters the Vietnamese display (same objects, a display-only subclass)."""
    for param in params:
        if type(param) is TyperOption:
            param.__class__ = VietnameseOption
        elif type(param) is TyperArgument:
            param.__class__ = VietnameseArgument


class _VietnameseHelp:
    """What `VietnameseCommand` and `VietnameseGroup` share: usage line and help option."""

    params: list[Any]

    def format_usage(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE_PREFIX)

    def get_help_option(self, ctx: _click.Context) -> TyperOption | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_OPTION_TEXT
            _vietnamese_params([option])
        return option

    def get_params(self, ctx: _click.Context) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        _vietnamese_params(params)
        return params


class VietnameseCommand(_VietnameseHelp, TyperCommand):
    """A `pcmbn` command: Vietnamese usage line, value kinds and help option; extra
    arguments refused in Vietnamese."""

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        allowed = ctx.allow_extra_args
        ctx.allow_extra_args = True  # checked here, to say it in Vietnamese
        try:
            rest = super().parse_args(ctx, args)
        finally:
            ctx.allow_extra_args = allowed
        if rest and not allowed and not ctx.resilient_parsing:
            raise _click.exceptions.UsageError(
                "Thừa đối số không dùng đến: " + " ".join(rest) + ".", ctx
            )
        return rest


class VietnameseGroup(_VietnameseHelp, TyperGroup):
    """The `pcmbn` group: as `VietnameseCommand`, and an unknown command named in Vietnamese."""

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name = args[0]
        if self.get_command(ctx, name) is None and not name.startswith("-"):
            close = get_close_matches(name, list(self.commands))
            hint = f" Có phải ý bạn là: {', '.join(close)}?" if close else ""
            known = ", ".join(self.commands)
            raise _click.exceptions.UsageError(
                f"Không có lệnh '{name}'.{hint} Các lệnh: {known}.", ctx
            )
        return super().resolve_command(ctx, args)


class VietnameseTyper(typer.Typer):
    """`typer.Typer` whose commands default to `VietnameseCommand` and `[TÙY CHỌN]`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", VietnameseGroup)
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        kwargs.setdefault("subcommand_metavar", SUBCOMMAND_METAVAR)
        super().__init__(**kwargs)

    def command(self, name: str | None = None, **kwargs: Any) -> Callable[..., Any]:  # type: ignore[override]
        kwargs.setdefault("cls", VietnameseCommand)
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        return super().command(name, **kwargs)


def _param_hint(param: Any) -> str:
    """How the user wrote (or should write) a parameter: `--plan / -p`, or `TỆP`."""
    if isinstance(param, TyperOption):
        return " / ".join(param.opts) or param.display_name_raw
    if isinstance(param, TyperArgument):
        return param.display_name_raw.upper()
    return str(getattr(param, "name", "") or "")


def _offending_value(exc: BaseException) -> Any:
    """The value that failed conversion: typer wraps a pydantic error that keeps it."""
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        try:
            found = errors()
        except Exception:  # noqa: BLE001 - a missing detail must not hide the error itself
            return None
        if found:
            return found[0].get("input")
    return None


def _expected(param: Any, ctx: _click.Context | None) -> str:
    """What the parameter takes, in Vietnamese."""
    desc = getattr(param, "type_descriptor", None)
    if desc is None:
        return ""
    if desc.is_choice:
        choices = ", ".join(str(getattr(c, "value", c)) for c in desc.choices or ())
        return f"chỉ nhận một trong: {choices}"
    kind = _value_kind(param, ctx) if ctx is not None else ""
    return f"cần {kind.strip('<>.')}" if kind else ""


def usage_error_message(exc: _click.exceptions.UsageError) -> str:
    """One Vietnamese sentence for a framework usage error, plus where the help is."""
    ctx = exc.ctx
    param = getattr(exc, "param", None)
    if isinstance(exc, _click.exceptions.MissingParameter):
        what = "đối số" if isinstance(param, TyperArgument) else "tùy chọn"
        text = f"Thiếu {what} {_param_hint(param)}."
    elif isinstance(exc, _click.exceptions.NoSuchOption):
        text = f"Không có tùy chọn {exc.option_name}."
        if exc.possibilities:
            text += f" Có phải ý bạn là: {', '.join(sorted(exc.possibilities))}?"
    elif isinstance(exc, _click.exceptions.BadOptionUsage):
        # The parser raises this for two cases only; its (pinned, vendored) text tells which.
        if "does not take a value" in exc.message:
            text = f"Tùy chọn {exc.option_name} là công tắc bật/tắt, không kèm giá trị."
        else:
            text = f"Tùy chọn {exc.option_name} cần kèm một giá trị."
    elif isinstance(exc, _click.exceptions.BadParameter) and param is not None:
        value = _offending_value(exc)
        shown = f" '{value}'" if value is not None else ""
        expected = _expected(param, ctx)
        text = f"Giá trị{shown} không hợp lệ cho {_param_hint(param)}" + (
            f": {expected}." if expected else "."
        )
        choices = [str(getattr(c, "value", c)) for c in param.type_descriptor.choices or ()]
        close = get_close_matches(str(value), choices, n=1) if value is not None and choices else []
        if close:
            text += f" Có phải ý bạn là: {', '.join(close)}?"
    else:
        text = exc.message  # our own Vietnamese messages (unknown command, extra arguments)
    if ctx is not None:
        text += f" Xem hướng dẫn: {ctx.command_path} --help"
    return text
