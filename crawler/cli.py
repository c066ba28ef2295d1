"""Command-line mistakes caught before a project command runs: an option it does not know, a ``-s``
value of the wrong type, an unknown spider name (with the close ones); and output cut short by a
closed pipe (``scrapy report --json | head``) ends quietly instead of with a traceback.

Kept outside ``crawler.commands``, where Scrapy turns every command class into a command.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import difflib
import importlib
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType, TracebackType

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings, default_settings

from crawler.env import CHECKS, MAXIMUMS, MINIMUMS, EnvError, warn_size
from crawler.secrets import SECRET_URI_SETTINGS, mask_setting_uri

_CMDLINE = SETTINGS_PRIORITIES["cmdline"]


def unknown_options(args: Iterable[str]) -> list[str]:
    """The leftover arguments that look like options: argparse left them because no option matched."""
    return [arg for arg in args if arg.startswith("-") and arg != "-"]


def close_matches(name: str, known: Iterable[str]) -> str:
    """`` (did you mean a, b?)`` for the known names close to ``name``, or nothing."""
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(close)}?)" if close else ""


MAX_STORED_INT = 2**63 - 1  # the largest integer SQLite and BSON hold: a larger LIMIT raised OverflowError


def at_least(least: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number of ``least`` or more (``--limit -1`` read as "no limit" by one store and
    as 1 by the other, ``--limit 0`` as none or all: refused instead), and no more than :data:`MAX_STORED_INT`."""
    def number(value: str) -> int:
        try:
            parsed = int(value)
        except ValueError:  # also past Python's 4,300 digits
            parsed = MAX_STORED_INT + 1 if value.strip().isdecimal() else least - 1
        if parsed < least:
            raise argparse.ArgumentTypeError(f"must be a whole number, {least} or more, got {value!r}")
        if parsed > MAX_STORED_INT:
            shown = value if len(value) <= 40 else f"{value[:20]}… ({len(value)} characters)"
            raise argparse.ArgumentTypeError(f"must be at most {MAX_STORED_INT}, got {shown!r}")
        return parsed
    return number


def _setting_type(name: str, modules: Iterable[ModuleType]) -> type | None:
    for module in modules:
        value = getattr(module, name, None)
        if isinstance(value, bool | int | float):
            return type(value)
    return None


_DURATIONS = ("_TIMEOUT", "_DELAY", "_SECONDS", "_TTL")
_GETTERS: dict[type, tuple[str, str]] = {
    bool: ("getbool", "a boolean (1/0, true/false)"),
    int: ("getint", "an integer"),
    float: ("getfloat", "a number"),
}


def check_setting_types(settings: BaseSettings, modules: Iterable[ModuleType],
                        minimums: Mapping[str, float] = MINIMUMS, maximums: Mapping[str, float] = MAXIMUMS,
                        checks: Mapping[str, Callable[[str], object]] = CHECKS) -> None:
    """Refuse a ``-s`` value that is not of its setting's type (the project's or Scrapy's default), outside the
    bounds the project reads it with, or refused by its check: one usage error naming the setting, not a traceback
    (or a crawl that never stores: ``STORAGE_BATCH_SIZE=0``) from the component that reads it."""
    for name, value in settings.items():
        if settings.getpriority(name) != _CMDLINE or not isinstance(value, str):
            continue
        if name in checks:
            try:
                checks[name](value)
            except ValueError as exc:
                shown = mask_setting_uri(value) if name in SECRET_URI_SETTINGS else value
                raise UsageError(f"-s {name}={shown}: {exc}", print_help=False) from None
        kind = _setting_type(name, modules)
        if kind is None:
            continue
        if kind is int and name.endswith(_DURATIONS):
            kind = float  # an integer default, but read as a float (DOWNLOAD_TIMEOUT=2.5 is fine)
        getter, what = _GETTERS[kind]
        try:
            number = getattr(settings, getter)(name)
        except ValueError:
            raise UsageError(f"-s {name}={value}: {name} must be {what}", print_help=False) from None
        if kind is float and not math.isfinite(number):  # "inf" waited forever, "nan" passes every bound
            raise UsageError(f"-s {name}={value}: {name} must be a finite number", print_help=False)
        least = minimums.get(name)
        if least is not None and kind is not bool and number < least:
            raise UsageError(f"-s {name}={value}: {name} must be >= {least:g}", print_help=False)
        most = maximums.get(name)
        if most is not None and kind is not bool and number > most:
            raise UsageError(f"-s {name}={value}: {name} must be <= {most:g}", print_help=False)


def coherent_warn_size(settings: BaseSettings) -> None:
    """Keep ``DOWNLOAD_WARNSIZE`` below ``DOWNLOAD_MAXSIZE`` when ``-s`` sets either: a new maximum moves the warning
    size as the settings module derives it; a warning size not below the maximum is a usage error."""
    max_set, warn_set = (settings.getpriority(name) == _CMDLINE for name in ("DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE"))
    max_size = settings.getint("DOWNLOAD_MAXSIZE")
    if warn_set:
        if max_size and settings.getint("DOWNLOAD_WARNSIZE") >= max_size:
            raise UsageError(f"-s DOWNLOAD_WARNSIZE={settings['DOWNLOAD_WARNSIZE']}: DOWNLOAD_WARNSIZE must be below "
                             f"DOWNLOAD_MAXSIZE ({max_size})", print_help=False)
    elif max_set and max_size:
        try:
            settings.set("DOWNLOAD_WARNSIZE", warn_size(max_size), priority="cmdline")
        except EnvError as exc:
            raise UsageError(f"-s DOWNLOAD_MAXSIZE={max_size}: {exc}", print_help=False) from None


def silence_stdout() -> None:
    """Point stdout at /dev/null: the reader (head, less) has what it wanted, what is left goes nowhere, and
    Python's own flush at exit must not fail again with "Exception ignored ... BrokenPipeError"."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _flush_at_exit() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()


def quiet_broken_pipe() -> None:
    """End quietly when the reader of stdout closes it (``| head``): during the command or at exit."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        if issubclass(kind, BrokenPipeError):
            silence_stdout()
            return
        previous(kind, error, trace)

    sys.excepthook = hook
    atexit.register(_flush_at_exit)


class CheckedCommand(ScrapyCommand):
    """Mixin for project commands: unknown options and mistyped ``-s`` values are usage errors (exit 2),
    and so is whatever :meth:`check` refuses; each is also written to ``LOG_FILE`` when one is set, so a
    Scrapyd job that failed on its arguments says why in its own log (Scrapyd passes ``-s LOG_FILE=``)."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            super().process_options(args, opts)
            unknown = unknown_options(args)
            if unknown:
                raise UsageError(f"unknown option {unknown[0]} (see --help)", print_help=False)
            assert self.settings is not None
            project = os.environ.get("SCRAPY_SETTINGS_MODULE")  # set by Scrapy from scrapy.cfg
            modules = [importlib.import_module(project)] if project else []
            check_setting_types(self.settings, [*modules, default_settings])
            coherent_warn_size(self.settings)
            self.check(args, opts)
        except UsageError as exc:
            self._log_usage_error(str(exc))
            raise
        quiet_broken_pipe()

    def check(self, args: list[str], opts: argparse.Namespace) -> None:
        """The command's own checks of its arguments; raise UsageError."""

    def _log_usage_error(self, message: str) -> None:
        path = self.settings.get("LOG_FILE") if self.settings is not None else None
        if path and message:
            with contextlib.suppress(OSError), open(path, "a", encoding="utf-8") as log:
                log.write(f"scrapy: error: {message}\n")
