"""Shared fixtures: replica sites on loopback, a MongoDB-compatible server,
and a runner for the real ``scrapy crawl`` command."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymongo
import pytest

from tests.replica.server import serve
from tests.replicas import REPLICAS

ROOT = Path(__file__).resolve().parent.parent

# Settings that make a replica crawl fast; politeness stays on in production.
FAST = ["AUTOTHROTTLE_ENABLED=0", "DOWNLOAD_DELAY=0", "STORAGE_FLUSH_SECONDS=0.2",
        "STORAGE_TIMEOUT_SECONDS=3", "STORAGE_RETRIES=1"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_mongo(uri: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nx-27017 exited: {log.read_text(errors='replace')[-2000:]}")
        client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=300)  # type: ignore[type-arg]
        try:
            client.admin.command("ping")
            return
        except pymongo.errors.PyMongoError:
            time.sleep(0.1)
        finally:
            client.close()
    raise RuntimeError("nx-27017 did not answer within 30 s")


def start_nx27017(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    """Start an nx-27017 server on ``port`` with its data under ``workdir``; returns once it answers."""
    executable = shutil.which("nx-27017") or str(Path(sys.executable).parent / "nx-27017")
    log = workdir / "server.log"
    process = subprocess.Popen(
        [executable, "--data-dir", str(workdir / "data"), "-p", str(port),
         "--pid-file", str(workdir / "pid"), "--log-file", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        _wait_for_mongo(f"mongodb://127.0.0.1:{port}", process, log)
    except RuntimeError:
        kill(process)
        raise
    return process


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)  # nx-27017 may ignore SIGTERM while busy
    process.wait()


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``MONGO_URI`` when set (a real MongoDB), else an nx-27017 server on a free port."""
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    port = free_port()
    process = start_nx27017(tmp_path_factory.mktemp("nx27017"), port)
    try:
        yield f"mongodb://127.0.0.1:{port}"
    finally:
        kill(process)


@dataclass
class MongoTarget:
    uri: str
    database: str
    client: pymongo.MongoClient  # type: ignore[type-arg]

    @property
    def db(self):  # type: ignore[no-untyped-def]
        return self.client[self.database]


@pytest.fixture
def mongo(mongo_uri: str) -> Iterator[MongoTarget]:
    """A fresh database on the test server, dropped afterwards."""
    client: pymongo.MongoClient = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=5000, tz_aware=True)  # type: ignore[type-arg]
    target = MongoTarget(mongo_uri, f"test_{uuid.uuid4().hex[:12]}", client)
    try:
        yield target
    finally:
        client.drop_database(target.database)
        client.close()


@pytest.fixture
def asiaplus_replica() -> Iterator[tuple[str, list[str]]]:
    """The asiaplus.news replica on a free port: (base URL, list of requested paths)."""
    with serve(REPLICAS / "asiaplus") as server:
        yield f"http://127.0.0.1:{server.server_port}", server.requests  # type: ignore[attr-defined]


def run_crawl(spider: str, *args: str, env: dict[str, str], settings: list[str] | None = None,
              timeout: float = 120, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``scrapy crawl`` in the project directory (under ``prefix``, e.g. ``ip netns exec NS``)."""
    command = [*(prefix or []), sys.executable, "-m", "scrapy", "crawl", spider]
    for arg in args:
        command += ["-a", arg]
    for setting in FAST + (settings or []):
        command += ["-s", setting]
    full_env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "MONGO_DATABASE", "DATA_DIR")}
    # A private DATA_DIR: spools and site locks of one test never reach another.
    full_env["DATA_DIR"] = tempfile.mkdtemp(prefix="crawl-data-")
    full_env.update(env)
    return subprocess.run(command, cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
