"""Typed readers for deployment settings taken from environment variables.

Scrapy does not read ``SCRAPY_*`` variables into settings, so every value that
varies between deployments is read here, once, by ``crawler.settings``. A bad
value fails at start with a message naming the variable.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from crawler.secrets import mask_setting_uri

_P = ParamSpec("_P")
_T = TypeVar("_T")


class EnvError(ValueError):
    """An environment variable holds a value of the wrong type."""


# The least value of every setting read with a minimum, by name: ``-s`` values are held to the same
# bounds as the environment's (``crawler.cli``), so ``-s STORAGE_BATCH_SIZE=0`` is refused as well.
MINIMUMS: dict[str, float] = {}
# The greatest value, likewise (``STORAGE_SHRINK_RATIO`` is a share).
MAXIMUMS: dict[str, float] = {}
# The check of every string setting read with one (raises ValueError naming the setting), likewise: a bad
# ``REVISIT_SCHEDULE`` or ``LOG_LEVEL`` was a traceback from the component that read it.
CHECKS: dict[str, Callable[[str], object]] = {}


def env_str(name: str, default: str = "", check: Callable[[str], object] | None = None) -> str:
    """Return the variable's value, or ``default`` when unset or empty; ``check`` raises ValueError on a bad one."""
    value = os.environ.get(name, "").strip() or default
    if check is not None:
        CHECKS[name] = check
        try:
            check(value)
        except ValueError as exc:
            raise EnvError(str(exc)) from None
    return value


def _bounded(name: str, value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None:
        MINIMUMS[name] = minimum
    if maximum is not None:
        MAXIMUMS[name] = maximum
    if minimum is not None and value < minimum:
        raise EnvError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise EnvError(f"{name} must be <= {maximum}, got {value}")


def env_int(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return the variable as an integer, failing loudly on garbage."""
    raw = env_str(name)
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise EnvError(f"{name} must be an integer, got {raw!r}") from None
    _bounded(name, value, minimum, maximum)
    return value


def env_float(name: str, default: float, minimum: float | None = None, maximum: float | None = None) -> float:
    """Return the variable as a float, failing loudly on garbage."""
    raw = env_str(name)
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise EnvError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value):  # "inf" waited forever (DOWNLOAD_DELAY), "nan" passes every bound
        raise EnvError(f"{name} must be a finite number, got {raw!r}")
    _bounded(name, value, minimum, maximum)
    return value


def log_level(value: str) -> None:
    """Refuse a ``LOG_LEVEL`` that Python's logging does not know (Scrapy failed with a traceback)."""
    if value not in logging.getLevelNamesMapping():
        raise ValueError(f"LOG_LEVEL must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG, got {value!r}")


def uri_scheme(name: str, schemes: tuple[str, ...]) -> Callable[[str], None]:
    """A check that a URI setting (unset, or) starts with one of ``schemes``, its password masked in the error: a
    MongoDB URI without one was quoted whole by the driver's error, a Redis one ended the crawl in a traceback."""

    def check(value: str) -> None:
        if value and not value.lower().startswith(schemes):
            raise ValueError(f"{name} must start with {' or '.join(schemes)}, got {mask_setting_uri(value)!r}")

    return check


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """Return the variable as a boolean (1/0, true/false, yes/no, on/off)."""
    raw = env_str(name).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise EnvError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def warn_size(max_size: int) -> int:
    """``DOWNLOAD_WARNSIZE`` for ``max_size``: the variable, or a quarter of the maximum; 0 turns the warning off,
    a value not below the maximum is refused (it would never warn)."""
    size = env_int("DOWNLOAD_WARNSIZE", max_size // 4, minimum=0)
    if size >= max_size:
        raise EnvError(f"DOWNLOAD_WARNSIZE must be below DOWNLOAD_MAXSIZE ({max_size}), got {size}")
    return size


def or_exit(reader: Callable[_P, _T]) -> Callable[_P, _T]:
    """``reader`` for the settings module: a bad value is one line on stderr and exit 2, not a
    traceback (Scrapy imports the settings before any command could catch the error)."""

    @functools.wraps(reader)
    def read(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return reader(*args, **kwargs)
        except EnvError as exc:
            sys.stderr.write(f"scrapy: error: environment variable {exc}\n")
            raise SystemExit(2) from None

    return read
