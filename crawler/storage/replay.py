"""Replaying spools (``DATA_DIR/unsaved/*.jsonl``): this run's and those earlier runs left, each
claimed first (a live run's spool is left to it), written idempotently and removed; lines a
crash cut short are moved to the quarantine, each reported.

Stats: ``storage/replayed``, ``storage/spool_corrupt``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import IO

from crawler.storage.batches import BatchWriter
from crawler.storage.spool import claim, load_spool, release

logger = logging.getLogger(__name__)


class SpoolReplay:
    def __init__(self, batches: BatchWriter, own: Path) -> None:
        self.batches = batches
        self.storage = batches.storage
        self.stats = batches.stats
        self.own = own  # this run's spool: claimed by the run itself for its whole life
        self._stuck: set[Path] = set()  # spools with corrupt lines the quarantine could not take: left for later

    async def replay(self, retries: int) -> bool:
        """Write every spooled batch (this run's and earlier runs'); True when none is left."""
        for path in sorted(self.storage.config.unsaved_dir.glob("*.jsonl")):
            if path in self._stuck:
                continue
            own = path == self.own
            handle = None if own else await self.storage.call(self._try_claim, path)
            if not own and handle is None:
                continue  # its run is alive (or another run is replaying it)
            try:
                if not await self._replay_one(path, retries):
                    return False
            finally:
                if handle is not None:
                    await self.storage.call(release, path, handle)
        return True

    def _try_claim(self, path: Path) -> IO[str] | None:
        try:
            return claim(path)
        except OSError as exc:
            logger.error("Cannot lock the spool %(path)s: %(error)s", {"path": path, "error": exc})
            self._stuck.add(path)
            return None

    async def _replay_one(self, path: Path, retries: int) -> bool:
        """Write one claimed spool and remove it; False when the store did not take it all."""
        try:
            contents = await self.storage.call(load_spool, path)
        except FileNotFoundError:
            return True  # written and removed by the run that held it before us
        except OSError as exc:
            logger.error("Cannot read the spool %(path)s: %(error)s", {"path": path, "error": exc})
            self._stuck.add(path)
            return True
        if contents.corrupt and not await self._quarantine_lines(path, contents.corrupt):
            self._stuck.add(path)  # kept whole until its bad lines can be moved out
            return True
        if await self.batches.write(contents.entries, retries):
            return False
        path.unlink(missing_ok=True)
        self.stats.inc_value("storage/replayed", len(contents.entries))
        logger.info("Wrote %(n)d spooled articles from %(path)s", {"n": len(contents.entries), "path": path})
        return True

    async def _quarantine_lines(self, path: Path, lines: list[tuple[int, str]]) -> bool:
        """Move unreadable spool lines (a write a crash cut short) to the quarantine, each reported."""
        for number, _ in lines:
            logger.warning("Spool %(path)s line %(line)d is corrupt (cut by a crash?); moving it to %(quarantine)s",
                           {"path": path, "line": number, "quarantine": self.batches.quarantine_path})
        self.stats.inc_value("storage/spool_corrupt", len(lines))
        records = [{"reason": "corrupt spool line", "source": f"{path}:{number}", "line": text}
                   for number, text in lines]
        return await self.batches.quarantine(records)

    def spooled_count(self) -> int:
        """On the storage thread: articles left in this run's spool and in spools no live run holds
        (the next run writes them)."""
        count = 0
        for path in self.storage.config.unsaved_dir.glob("*.jsonl"):
            handle = None if path == self.own else self._try_claim(path)
            if path != self.own and handle is None:
                continue
            try:
                count += len(load_spool(path).entries)
            except OSError:
                pass  # removed meanwhile, or unreadable (logged where it is replayed)
            finally:
                if handle is not None:
                    release(path, handle)
        return count
