"""Where a command writes its ``-o FILE`` or ``--html FILE`` whole: a regular file (or a symlink's target) is written
beside it as a part and renamed over it when complete, so a reader never sees half of it; a FILE that is no regular
file (``/dev/null``, ``/dev/stdout``, a named pipe) is written to as it is. Renamed over such a FILE, the part replaced
it with a regular file (run as root, the device node or the ``/dev/stdout`` link itself)."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def output_problem(option: str, path: str) -> str | None:
    """Why ``path``, given as ``option``, names no file to write (empty, a directory), else None."""
    if not path:
        return f"{option} needs a file name"
    if os.path.isdir(path):
        return f"{option} {path} is a directory; name a file in it"
    return None


def written_in_place(path: str) -> bool:
    """Whether ``path`` (a symlink's target) exists and is no regular file: written to, never replaced."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:  # absent (or unreadable: opening it says why)
        return False


def part_of(path: str, prefix: str = "") -> tuple[Path, Path]:
    """The file ``path`` names (a symlink's target: the link stays one) and the part written before it, beside it."""
    target = Path(os.path.realpath(path))
    return target, target.with_name(f"{prefix}{target.name}.part")
