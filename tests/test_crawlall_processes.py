"""``scrapy crawlall --processes N``: sites crawled by parallel ``scrapy crawl`` children (or, with one
process, in one), one summary and the worst exit code; SIGTERM to the parent stops the children."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import IO

import pytest

from crawler.bench.replica_server import serve
from crawler.commands.crawlall import Row, summary, worst
from crawler.site_pool import PARENT_PID_ENV, named_line
from crawler.storage.lease import Lease, acquire, holder
from crawler.storage.store import ArticleStore, StoreTarget
from tests.conftest import free_port
from tests.crawling import FAST, ROOT, site_held, started
from tests.replicas import REPLICAS, expected_articles

SETTINGS = [part for setting in FAST for part in ("-s", setting)]


@pytest.mark.parametrize(("codes", "merged"), [
    ([], 0), ([0, 0], 0), ([0, 75], 75), ([75, 3], 3), ([3, 2], 2), ([75, 1], 1), ([1, 75, 0], 1),
    ([2, 1, 3], 1), ([0, -9], -9), ([75, 137], 137),
])
def test_the_worst_exit_code_wins_and_a_skipped_site_masks_no_failure(codes: list[int], merged: int) -> None:
    assert worst(codes) == merged


def test_summary_has_a_line_per_site_and_a_total() -> None:
    rows = [Row("asiaplus", 0, 4, 22, 9.44), Row("kaktus", 1, 0, 32, 7.6), Row("avesta", 75, 0, 0, 0.2)]
    assert summary(rows, 12.0).splitlines() == [
        "site     exit articles requests  seconds",
        "asiaplus    0        4       22      9.4",
        "kaktus      1        0       32      7.6",
        "avesta     75        0        0      0.2",
        "total       1        4       54     12.0",
    ]


def crawlall(*args: str, data_dir: Path) -> subprocess.Popen[str]:
    return started(subprocess.Popen([sys.executable, "-m", "scrapy", "crawlall", *args, *SETTINGS], cwd=ROOT, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                    env={"DATA_DIR": str(data_dir), "PATH": ""}))


def stored_urls(data_dir: Path, site: str) -> Counter[str]:
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(data_dir)))
    try:
        return Counter(doc["url"] for doc in store.db["articles"].find({"site": site}, {"url": 1}))
    finally:
        store.close()


def summary_rows(stdout: str) -> dict[str, list[str]]:
    lines = stdout.splitlines()
    start = next(k for k, line in enumerate(lines) if line.split()[:2] == ["site", "exit"])
    return {line.split()[0]: line.split()[1:] for line in lines[start + 1:]}


@pytest.mark.e2e
@pytest.mark.parametrize("processes", ["2", "1"])
def test_crawlall_stores_each_article_once_and_exits_with_the_worst_code(tmp_path: Path, processes: str) -> None:
    dead = free_port()  # nothing listens: every request of kaktus is refused, its run fails
    env = {"DATA_DIR": str(tmp_path)}
    with serve(REPLICAS / "asiaplus") as asiaplus, serve(REPLICAS / "khovar") as khovar, site_held("avesta", env):
        child = crawlall("--processes", processes, "--sites", "asiaplus,khovar,kaktus,avesta",
                         "--base-url", f"asiaplus=http://127.0.0.1:{asiaplus.server_port}",
                         "--base-url", f"khovar=http://127.0.0.1:{khovar.server_port}",
                         "--base-url", f"kaktus=http://127.0.0.1:{dead}", data_dir=tmp_path)
        stdout, stderr = child.communicate(timeout=180)
    assert child.returncode == 1, stderr[-3000:]  # kaktus failed; avesta's 75 (held) does not mask it
    rows = summary_rows(stdout)
    assert {site: row[:2] for site, row in rows.items()} == {
        "asiaplus": ["0", "4"], "khovar": ["0", "3"], "kaktus": ["1", "0"], "avesta": ["75", "0"],
        "total": ["1", "7"]}
    assert int(rows["kaktus"][2]) > 0 and int(rows["asiaplus"][2]) > 0  # requests were made and counted
    for site in ("asiaplus", "khovar"):
        urls = stored_urls(tmp_path, site)
        assert set(urls) == set(expected_articles(site)) and set(urls.values()) == {1}, urls
    closed = [line for line in stderr.splitlines() if "Spider closed" in line]
    assert len(closed) == 4
    if processes == "2":  # each child's lines carry its site; two sites ran at once
        assert Counter(line.split()[0] for line in closed) == Counter(
            f"[{site}]" for site in ("asiaplus", "khovar", "kaktus", "avesta"))
        lines = stderr.splitlines()
        first_close = next(k for k, line in enumerate(lines) if "Spider closed" in line)
        assert len({line.split()[0] for line in lines[:first_close] if line.startswith("[")}) >= 2


@pytest.mark.e2e
def test_two_held_sites_exit_75_and_their_lines_go_to_the_log_file(tmp_path: Path) -> None:
    log = tmp_path / "crawlall.log"
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(tmp_path)))
    try:  # each site held by a run of its own (holders differ, as runs' do)
        assert all(acquire(store, Lease(site, f"another-host:1:{site}", 120)) for site in ("avesta", "khovar"))
        child = crawlall("--processes", "2", "--sites", "avesta,khovar", "--logfile", str(log), data_dir=tmp_path)
        stdout, stderr = child.communicate(timeout=120)
    finally:
        store.close()
    assert child.returncode == 75, log.read_text(encoding="utf-8")[-3000:]  # skipped, not healthy
    assert {site: row[0] for site, row in summary_rows(stdout).items()} == {"avesta": "75", "khovar": "75",
                                                                           "total": "75"}
    lines = log.read_text(encoding="utf-8").splitlines()
    for site in ("avesta", "khovar"):
        assert any(line.startswith(f"[{site}] ") and "Spider closed (site_locked)" in line for line in lines)
    assert "Spider closed" not in stderr  # the children's log went to the file


def collect(stream: IO[str], lines: list[str]) -> None:
    """Each line of ``stream`` into ``lines`` as it comes (a test reads them while the command runs)."""
    for line in stream:
        lines.append(line)


def stopping(site: str, lines: list[str]) -> bool:
    """Whether crawlall's child for ``site`` has logged its graceful stop."""
    return any(line.startswith(f"[{site}] ") and "shutting down gracefully" in line for line in list(lines))


def processes_with(data_dir: Path) -> list[int]:
    """Processes (other than ours) whose environment points at ``data_dir``: the crawl's children."""
    needle = f"DATA_DIR={data_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.e2e
def test_sigterm_to_the_parent_stops_the_children_gracefully(tmp_path: Path) -> None:
    """No page is answered until each child has its SIGTERM, so each is mid-crawl then, however far apart a loaded
    machine started them."""
    gate = threading.Event()
    with serve(REPLICAS / "asiaplus", delay=0.5, gate=gate) as asiaplus, \
            serve(REPLICAS / "khovar", delay=0.5, gate=gate) as khovar:
        child = crawlall("--processes", "2", "--sites", "asiaplus,khovar,kaktus",
                         "--base-url", f"asiaplus=http://127.0.0.1:{asiaplus.server_port}",
                         "--base-url", f"khovar=http://127.0.0.1:{khovar.server_port}",
                         "-s", "DOWNLOAD_TIMEOUT=300", data_dir=tmp_path)  # no held page times out
        lines: list[str] = []
        reader = threading.Thread(target=collect, args=(child.stderr, lines))
        reader.start()
        try:
            deadline = time.monotonic() + 180
            while not (asiaplus.held and khovar.held) and time.monotonic() < deadline:  # type: ignore[attr-defined]
                time.sleep(0.1)
            assert asiaplus.held and khovar.held, "the children did not start crawling"  # type: ignore[attr-defined]
            children = [pid for pid in processes_with(tmp_path) if pid != child.pid]
            assert len(children) >= 2
            child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 60
            while not all(stopping(site, lines) for site in ("asiaplus", "khovar")) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            gate.set()  # the pages in flight are answered once both children are stopping
        try:
            child.wait(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
            with child:  # closes its pipes
                stdout = child.stdout.read()  # type: ignore[union-attr]  # the summary: a few lines
                reader.join(timeout=10)
        stderr = "".join(lines)
    assert child.returncode == 1  # stopped runs end as failed, whatever they had stored
    for site in ("asiaplus", "khovar"):
        assert any(line.startswith(f"[{site}] ") and "shutting down gracefully" in line
                   for line in stderr.splitlines()), stderr[-3000:]
        assert any(line.startswith(f"[{site}] ") and "Spider closed (shutdown)" in line
                   for line in stderr.splitlines()), stderr[-3000:]
    assert summary_rows(stdout)["kaktus"] == ["1", "0", "0", "0.0"]  # never started
    assert processes_with(tmp_path) == []  # no child left behind
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(tmp_path)))
    try:  # each child released its site: the next run is not refused
        assert holder(store, "asiaplus") is None and holder(store, "khovar") is None
    finally:
        store.close()


@pytest.mark.e2e
@pytest.mark.parametrize(("args", "message"), [
    (["--processes", "0"], "--processes must be 1 or more, got 0"),
    (["--sites", "asiaplus", "--base-url", "khovar=http://127.0.0.1:1"], "'khovar' is not crawled in this run"),
    (["--sites", "asiaplus", "--base-url", "asiaplus"], "--base-url takes SITE=URL"),
    (["--sites", "asiaplus", "--base-url", "asiaplus=ftp://x"], "base_url must start with http://"),
    (["--sites", "asiaplus,khovar", "--processes", "2", "-o", "x.jsonl"], "add --processes 1"),
    (["--config", "nosuch.toml"], "nosuch.toml"),
])
def test_crawlall_refuses_bad_process_and_mirror_options(tmp_path: Path, args: list[str], message: str) -> None:
    child = crawlall(*args, data_dir=tmp_path)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 2 and message in stderr, stderr[-2000:]


@pytest.mark.parametrize(("line", "passed_on"), [
    ("2026-11-30 10:00:00 [scrapy.core.engine] INFO: Spider opened\n",
     "[asiaplus] 2026-11-30 10:00:00 [scrapy.core.engine] INFO: Spider opened\n"),
    ("2026-11-30 10:01:00 [crawler.extensions.progress] INFO: [asiaplus] Progress: 3 articles stored",
     "[asiaplus] 2026-11-30 10:01:00 [crawler.extensions.progress] INFO: Progress: 3 articles stored\n"),
])
def test_a_childs_line_names_its_site_once(line: str, passed_on: str) -> None:
    assert named_line("asiaplus", line) == passed_on


def child_crawling(data_dir: Path, marker: str) -> int | None:
    """The pid of the crawl child whose command line holds ``marker`` (None: none)."""
    for pid in processes_with(data_dir):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            continue
    return None


@pytest.mark.e2e
def test_a_child_killed_mid_crawl_is_counted_to_its_last_snapshot_not_as_zero(tmp_path: Path) -> None:
    from tests import endless_site

    sitemaps = ", ".join(f'"https://{endless_site.DOMAIN}/sitemap/urls-{n}.xml"' for n in range(1, 61))
    config = endless_site.write_config(tmp_path, f"sitemaps = [{sitemaps}]", robots=False)
    with endless_site.serve(sitemap_delay=0.5) as endless, serve(REPLICAS / "khovar") as khovar:  # 15 s of sitemaps
        child = crawlall("--processes", "2", "--sites", "khovar", "--config", str(config), "-a", "since=2020-01-01",
                         "--base-url", f"endless=http://127.0.0.1:{endless.server_port}",
                         "--base-url", f"khovar=http://127.0.0.1:{khovar.server_port}",
                         "-s", "STATS_FILE_INTERVAL_SECONDS=0.2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
                         data_dir=tmp_path)
        try:
            deadline = time.monotonic() + 60
            while not stored_urls(tmp_path, "endless") and time.monotonic() < deadline and child.poll() is None:
                time.sleep(0.2)
            time.sleep(1.0)  # a snapshot or more after the first article was stored
            victim = child_crawling(tmp_path, f"config={config}")
            assert victim is not None, "the endless site's child is not running"
            os.kill(victim, signal.SIGKILL)
            stdout, stderr = child.communicate(timeout=120)
        finally:
            for pid in processes_with(tmp_path):
                os.kill(pid, signal.SIGKILL)
    stored = sum(stored_urls(tmp_path, "endless").values())
    rows = summary_rows(stdout)
    assert child.returncode == 1 and rows["endless"][0] == "1", stdout
    assert rows["khovar"][:2] == ["0", "3"]  # the other child's counts stay exact
    articles = rows["endless"][1]
    assert articles.endswith("+") and 1 <= int(articles[:-1]) <= stored, (articles, stored)
    assert rows["total"][1] == f"{int(articles[:-1]) + 3}+" and rows["endless"][2].endswith("+")
    assert "endless: its crawl ended before writing its final stats (killed by signal 9)" in stderr, stderr[-3000:]


STUCK_SITES = """
import sys
from crawler.site_pool import SiteJob, SitePool

# A crawl whose event loop is stuck (a runaway page, a blocking call) never acts on a SIGTERM: this one ignores it.
STUCK = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('started', flush=True); "
         "time.sleep(120)")
results = SitePool([SiteJob(site, [sys.executable, "-c", STUCK]) for site in ("akipress", "asiaplus")], 2).run()
print(*(f"{result.site} {result.code} {result.signal}" for result in results), sep="\\n")
"""


def _children_of(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_second_signal_kills_children_that_do_not_stop(signum: int) -> None:
    """The first SIGTERM or Ctrl-C asks each child to stop gracefully; the second kills them, with their process
    groups, and the pool returns at once (before, it passed a second SIGTERM on and waited for children that
    could not act on it)."""
    pool = subprocess.Popen([sys.executable, "-c", STUCK_SITES], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    children: list[int] = []
    try:
        assert pool.stdout is not None
        assert sorted(pool.stdout.readline() for _ in range(2)) == ["[akipress] started\n", "[asiaplus] started\n"]
        children = _children_of(pool.pid)
        pool.send_signal(signum)
        time.sleep(0.5)
        assert pool.poll() is None, "the pool did not wait for its children"
        pool.send_signal(signum)
        stdout, stderr = pool.communicate(timeout=20)
    finally:
        left = [pid for pid in children if Path(f"/proc/{pid}").exists()]
        for pid in left:  # ours: ignoring SIGTERM, they would sleep on for two minutes
            os.kill(pid, signal.SIGKILL)
        if pool.poll() is None:
            pool.kill()
            pool.communicate()
    assert pool.returncode == 0, stderr[-3000:]
    assert stdout.splitlines() == ["akipress 1 9", "asiaplus 1 9"], stderr[-3000:]  # failed, killed by SIGKILL
    assert not left, "a child outlived the pool"


@pytest.mark.e2e
def test_the_children_of_a_killed_crawlall_stop_gracefully(tmp_path: Path) -> None:
    """crawlall killed outright (SIGKILL, the OOM killer): its children, in sessions of their own, used to crawl on
    unwatched to the end of their sites; each now gets one SIGTERM when crawlall dies and stops gracefully: it
    finishes the pages in flight, records its run as stopped (``shutdown``) and releases its site. No page is
    answered before crawlall dies, so each child is mid-crawl then, however far apart a loaded machine started
    them (a child started late used to find the other's small site crawled to its end)."""
    gate = threading.Event()
    with serve(REPLICAS / "asiaplus", delay=5, gate=gate) as asiaplus, \
            serve(REPLICAS / "khovar", delay=5, gate=gate) as khovar:
        child = crawlall("--processes", "2", "--sites", "asiaplus,khovar",
                         "--base-url", f"asiaplus=http://127.0.0.1:{asiaplus.server_port}",
                         "--base-url", f"khovar=http://127.0.0.1:{khovar.server_port}",
                         "-s", "DOWNLOAD_TIMEOUT=300", data_dir=tmp_path)  # no held page times out
        try:
            deadline = time.monotonic() + 180
            while not (asiaplus.held and khovar.held) and time.monotonic() < deadline:  # type: ignore[attr-defined]
                time.sleep(0.1)
            assert asiaplus.held and khovar.held, "the children did not start crawling"  # type: ignore[attr-defined]
            child.kill()
            child.communicate(timeout=30)
            gate.set()  # the pages in flight are answered once the children have their SIGTERM
            deadline = time.monotonic() + 120
            while processes_with(tmp_path) and time.monotonic() < deadline:
                time.sleep(0.2)
            left = processes_with(tmp_path)
        finally:
            gate.set()
            for pid in processes_with(tmp_path):
                os.kill(pid, signal.SIGKILL)
    assert left == [], "children outlived crawlall"
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(tmp_path)))
    try:
        assert {run["site"]: run["finish_reason"] for run in store.latest_runs(10)} == {
            "asiaplus": "shutdown", "khovar": "shutdown"}
        assert holder(store, "asiaplus") is None and holder(store, "khovar") is None
    finally:
        store.close()


SIGHUPPED_CHILD = """
import os, signal, sys, time
from crawler.site_pool import stop_when_parent_dies

terms = []
signal.signal(signal.SIGTERM, lambda signum, frame: terms.append(signum))
signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until the first round asks
print("ready", flush=True)
counts = []
deadline = time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline:  # one round per parent death: asked to stop, stopped by the next SIGHUP
    before = len(terms)
    stop_when_parent_dies()
    while len(terms) == before and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(0.005)  # a second SIGTERM, sent by the handler run again, is in by now
    counts.append(len(terms) - before)
print(*counts, flush=True)
"""
# The dying pool's SIGHUPs, as fast as they go, until the test stops this.
SIGHUP_SENDER = "import os, signal, sys\nwhile True: os.kill(int(sys.argv[1]), signal.SIGHUP)"


def test_a_child_sends_itself_one_sigterm_however_many_sighups_its_parents_death_brings() -> None:
    """The kernel sends a pool's child a SIGHUP for each thread of the dead pool, and one may come while the handler
    of the first runs, before it ignores the rest: the handler then runs twice. It sent a SIGTERM each time, and a
    second SIGTERM forces ``scrapy crawl``'s unclean shutdown: its run left ``running`` in the store, its site held.
    Here one round in ten or more ran it twice, the SIGHUPs sent from another core (from the same core, none)."""
    cores = sorted(os.sched_getaffinity(0))
    env = {**os.environ, "PATH": "", PARENT_PID_ENV: str(os.getpid())}
    child = subprocess.Popen([sys.executable, "-c", SIGHUPPED_CHILD, "3"], cwd=ROOT, text=True, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    sender = None
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        sender = subprocess.Popen([sys.executable, "-c", SIGHUP_SENDER, str(child.pid)], stdin=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        os.sched_setaffinity(child.pid, cores[-1:])
        os.sched_setaffinity(sender.pid, cores[:1])
        stdout = child.stdout.read()  # to the child's exit, unreaped: its pid names no other process meanwhile
    finally:
        for process in (sender, child):  # the sender stopped first
            if process is not None:
                if process.poll() is None:
                    process.kill()
                process.communicate()
    counts = Counter(int(count) for count in stdout.split())
    assert counts[1] >= 5 and set(counts) <= {0, 1}, counts  # 0: the last round, cut short
