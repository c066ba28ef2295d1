"""Credentials kept out of logs, messages and records: URI passwords and the values of secret settings.

``mask_uri`` hides the password of every ``scheme://user:password@host`` in a text,
encoded or not (it may hold ``/``, ``@``, ``:``, ``?``). ``redact`` also hides the
registered secrets (passwords of ``SECRET_URI_SETTINGS``, whole values of secret-named
settings such as ``MONITOR_WEBHOOK_URL``). The ``SecretMasking`` add-on (``ADDONS``)
registers them from the crawl's final settings, ``-s`` overrides included, and makes
every log record of the process pass through ``redact``; ``scrapy crawl`` registers the
URI passwords of its ``-a`` arguments (``register_uri_passwords``). Standard library only:
``deploy/schedule-all`` imports it without Scrapy.

Settings read: ``MONGO_URI``, ``REDIS_URL``, ``MONITOR_WEBHOOK_URL`` and any setting
whose name holds ``PASSWORD``, ``SECRET``, ``TOKEN`` or ``WEBHOOK``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote

MASK = "***"
# The password runs to the LAST "@" of the URI: an unescaped password may hold "/", "@",
# ":", "?" or "#". A URI ends at whitespace, a quote or an angle bracket (repr, JSON, Scrapy's <GET url>).
# Log lines quote page URLs, so the pattern stays linear: a scheme starts a run of scheme characters and
# is read possessively, and user and password are bounded (longer secrets are masked as registered literals).
_USERINFO = re.compile(
    r"(?P<scheme>(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*+://)(?P<user>[^\s:/?#@'\"<>]{0,256}):"
    r"(?P<password>[^\s'\"<>]{0,1024})@", re.IGNORECASE)
SECRET_URI_SETTINGS = ("MONGO_URI", "REDIS_URL")  # only the password is secret
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|WEBHOOK", re.IGNORECASE)  # the whole value is secret
MIN_SECRET_LENGTH = 4  # shorter literals would mask ordinary words; URIs still mask them in place
_secrets: list[str] = []  # longest first: a secret may contain another


def mask_uri(text: str) -> str:
    """Replace the password of every ``scheme://user:password@`` in ``text`` with ``***``."""
    if "://" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)


def mask_setting_uri(value: str) -> str:
    """A ``MONGO_URI``/``REDIS_URL`` value with its password masked, a mistyped one without its scheme's "://"
    ("crawler:pw@db:27017", "redis//:pw@host/0") too, up to its last "@" as :func:`uri_password` reads it."""
    if "://" in value:
        return mask_uri(value)
    userinfo, at, host = value.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    return f"{user}:{MASK}@{host}" if at and colon else value


def uri_password(uri: str) -> str | None:
    """The password of the single URI ``uri`` as written (percent-encoded or not), or None.

    The whole value is the URI, so its userinfo runs to its last ``@`` even across
    characters that end a URI in free text (a space or a quote in an unescaped password).
    """
    _, sep, rest = uri.partition("://")
    userinfo = rest.rpartition("@")[0] if sep else ""
    return userinfo.partition(":")[2] or None


def setting_uri_password(value: str) -> str | None:
    """The password of a ``MONGO_URI``/``REDIS_URL`` value, one written without its scheme's "://" too (the
    driver's error quotes such a value whole)."""
    if "://" in value:
        return uri_password(value)
    return value.rpartition("@")[0].partition(":")[2] or None


def register(secret: str) -> None:
    """Hide ``secret`` (as written, percent-decoded and percent-encoded) in everything ``redact`` sees."""
    forms = {secret, unquote(secret), quote(secret, safe="")}
    _secrets[:] = sorted(set(_secrets) | {f for f in forms if len(f) >= MIN_SECRET_LENGTH}, key=len, reverse=True)


def register_settings(settings: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
    """Register the secrets among ``settings``: URI passwords and values of secret-named settings."""
    items = settings.items() if isinstance(settings, Mapping) else settings
    for name, value in items:
        if not isinstance(value, str) or not value:
            continue
        if name in SECRET_URI_SETTINGS:
            password = setting_uri_password(value)
            if password:
                register(password)
        elif SECRET_NAME.search(name):
            register(value)


def register_uri_passwords(values: Iterable[object]) -> None:
    """Register the password of every value that is a URI carrying one (spider arguments, say)."""
    for value in values:
        password = uri_password(value) if isinstance(value, str) else None
        if password:
            register(password)


def redact(text: str) -> str:
    """``text`` with URI passwords and every registered secret replaced by ``***``."""
    text = mask_uri(text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def carries_secret(name: str, value: str) -> bool:
    """Whether the setting or argument ``name=value`` holds a credential."""
    return mask_uri(value) != value or bool(value and SECRET_NAME.search(name))


def _shown(record: logging.LogRecord) -> bool:
    """Whether a handler the record reaches lets its level through (with no handler at all, logging's
    last resort may print it). A record no handler shows is never formatted, so it holds nothing to hide:
    Scrapy logs every scraped item at DEBUG, and formatting it to redact it cost more than extracting it."""
    logger: logging.Logger | None = logging.root if record.name == "root" else logging.getLogger(record.name)
    handled = False
    while logger is not None:
        for handler in logger.handlers:
            if record.levelno >= handler.level:
                return True
            handled = True
        logger = logger.parent if logger.propagate else None
    return not handled


def _redact_record(record: logging.LogRecord) -> None:
    if not _shown(record):
        return
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the handler's to report, as it would be without us
        return
    masked = redact(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        if redact(text) != text:
            record.exc_text = redact(text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def install_log_masking() -> None:
    """Pass every log record made from now on in this process through ``redact`` (once per process)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_secrets", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    factory.masks_secrets = True  # type: ignore[attr-defined]  # a marker on the function object, untyped by nature
    logging.setLogRecordFactory(factory)


class SecretMasking:
    """Scrapy add-on: registers the crawl's secrets and masks them in every log record.

    Its hooks run before the crawler process logs anything and again with each
    crawler's final settings (spider ``custom_settings`` included), so nothing the
    crawl logs escapes it, whoever logs it.
    """

    @classmethod
    def update_pre_crawler_settings(cls, settings: Any) -> None:
        _register_and_install(settings)

    def update_settings(self, settings: Any) -> None:
        _register_and_install(settings)


def _register_and_install(settings: Any) -> None:
    # Scrapy's own defaults (FTP_PASSWORD = "guest") are no secrets: priority 0 is "default".
    register_settings((name, settings.get(name)) for name in settings if (settings.getpriority(name) or 0) > 0)
    install_log_masking()
