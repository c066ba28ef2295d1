"""Scrapy's ``JOBDIR`` request queue (``PickleLifoDiskQueue``, the same files), each file open only while it is read
or written.

Scrapy keeps one disk queue per request priority and queuelib's keeps its file open from creation to close, and
articles are queued by publication minute: a sitemap of a few thousand links dated a minute apart opened as many
files, and past the process's limit (1,024 under systemd) every socket, store write and log file of the crawl
failed with ``EMFILE``: its host was taken for down and the run hung to its end unfinished. Here a queue opens its
file for each push or pop and writes its length header then, since no open file is left for ``close()`` to write
it from: some 60 µs more per call than queuelib's (``scripts/bench_disk_queue.py``), against milliseconds per page
fetched. Setting: ``SCHEDULER_DISK_QUEUE``.
"""

from __future__ import annotations

import errno
import io
import os
import pickle
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from queuelib.queue import LifoDiskQueue
from scrapy.squeues import _pickle_serialize, _scrapy_serialization_queue, _serializable_queue, _with_mkdir


class ClosedLifoDiskQueue(LifoDiskQueue):
    """queuelib's :class:`~queuelib.queue.LifoDiskQueue` (same file layout) holding no open file between calls."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)  # reads the length header of an existing file, or creates one
        self.f.close()

    @contextmanager
    def _opened(self) -> Iterator[None]:
        """The file, unbuffered (a write that fails fails here) and written whole, at its end; its length header
        written after."""
        self.f = _WholeWrites(Path(self.path).open("rb+", buffering=0))  # type: ignore[assignment]  # noqa: SIM115
        try:
            self.f.seek(0, os.SEEK_END)
            yield
            self.f.seek(0)
            self.f.write(struct.pack(self.SIZE_FORMAT, self.size))
        finally:
            self.f.close()

    def push(self, string: bytes) -> None:
        with self._opened():
            end = self.f.tell()
            try:
                super().push(string)
            except OSError:  # a full disk: a torn record at the end would be read back as the last one
                self.f.truncate(end)
                raise

    def pop(self) -> bytes | None:
        if not self.size:
            return None
        with self._opened():
            return super().pop()

    def peek(self) -> bytes | None:
        if not self.size:
            return None
        with self._opened():
            return super().peek()

    def clear(self) -> None:
        with self._opened():
            super().clear()

    def close(self) -> None:
        if not self.size:
            Path(self.path).unlink(missing_ok=True)


class _WholeWrites:
    """A raw file whose ``write`` writes everything or raises. queuelib ignores what ``write`` returns, and a raw
    write may write part without an error (a full disk, a file size limit): the rest is written again, which raises
    the error (EFBIG, ENOSPC), where a torn record's length would have been read back by no pop (EINVAL)."""

    def __init__(self, raw: io.FileIO) -> None:
        self.raw = raw

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            written = self.raw.write(view)
            if not written:
                raise OSError(errno.EIO, f"nothing written to {self.raw.name}")
            view = view[written:]
        return len(data)

    def __getattr__(self, name: str) -> Any:  # seek, read, tell, truncate, close: the raw file's
        return getattr(self.raw, name)


# Scrapy builds its PickleLifoDiskQueue with these (private) helpers around queuelib's class; typed as loosely there.
_PickleQueue: Any = _serializable_queue(_with_mkdir(ClosedLifoDiskQueue),  # type: ignore[arg-type]
                                        _pickle_serialize, pickle.loads)
PickleLifoDiskQueue: Any = _scrapy_serialization_queue(_PickleQueue)
