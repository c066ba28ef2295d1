"""``scrapy settings``: Scrapy's command, its output with credentials masked (a URI's password, a webhook's
URL, any setting named as a secret): ``--get MONGO_URI`` printed the password in clear, into terminals,
shell histories' output and CI logs, where every other command and log line masks it."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys

from scrapy.commands.settings import Command as ScrapySettingsCommand

from crawler.secrets import redact, register_settings


class Command(ScrapySettingsCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        register_settings(self.settings.copy_to_dict())
        shown = io.StringIO()
        with contextlib.redirect_stdout(shown):
            super().run(args, opts)
        sys.stdout.write(redact(shown.getvalue()))
