"""A command run with one of its output streams a pseudo-terminal, as a person at a terminal runs it: what a
command shows only to a terminal (a progress bar, escaped control characters, a refusal to write binary there)."""

from __future__ import annotations

import contextlib
import os
import pty
import subprocess
import sys
import tempfile
import termios
from dataclasses import dataclass

from tests.crawling import ROOT


@dataclass(frozen=True)
class Shown:
    """The exit status, the bytes the command wrote to the terminal, and what it wrote to its other stream."""

    returncode: int
    shown: bytes
    other: bytes


def under_terminal(args: list[str], env: dict[str, str], terminal_stream: str = "stdout") -> Shown:
    """``scrapy <args>`` in the project with ``terminal_stream`` (``stdout`` or ``stderr``) a pseudo-terminal,
    read as the command writes (its bytes as written: "\\n" not made "\\r\\n"), the other stream to a file (a pipe
    nobody reads while the terminal is read could fill and hang the command)."""
    terminal, command_end = pty.openpty()
    attributes = termios.tcgetattr(command_end)
    attributes[1] &= ~termios.OPOST
    termios.tcsetattr(command_end, termios.TCSANOW, attributes)
    with tempfile.TemporaryFile() as other:
        streams = {"stdout": other, "stderr": other, terminal_stream: command_end}
        try:
            process = subprocess.Popen([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env=env,
                                       stdin=subprocess.DEVNULL, **streams)
        finally:
            os.close(command_end)
        shown = b""
        with contextlib.suppress(OSError):  # EIO once the command has exited and all it wrote has been read
            while chunk := os.read(terminal, 65536):
                shown += chunk
        os.close(terminal)
        returncode = process.wait(timeout=120)
        other.seek(0)
        return Shown(returncode, shown, other.read())
