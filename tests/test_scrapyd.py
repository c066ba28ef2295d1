"""End to end through Scrapyd, the operator's path in ``deploy/``: a real
Scrapyd on loopback with authentication, the project's egg built and uploaded
by the real ``scrapyd-deploy`` (scrapyd-client), the ``asiaplus`` spider
scheduled through ``schedule.json`` against its replica, and the articles read
back from nx-27017 (or ``MONGO_URI``).

The project is copied into ``tmp_path`` first: ``scrapyd-deploy`` writes
``build/`` and ``*.egg-info`` next to ``setup.py``, and the working tree is
left alone.
"""

from __future__ import annotations

import base64
import configparser
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

import pytest

from crawler.bench.replica_server import serve
from crawler.sites import site_names
from tests.conftest import free_port
from tests.crawling import ROOT, STORE_VARIABLES, MongoTarget
from tests.replicas import REPLICAS, expected_articles

pytestmark = pytest.mark.e2e

PROJECT = "news"
USERNAME = "operator"
PASSWORD = "test-only-password"  # throwaway: this Scrapyd lives for one test module
BIN = Path(sys.executable).parent
JOB_TIMEOUT = 45.0
EGG_ONLY_SITE = "eggcheck"


@dataclass
class Scrapyd:
    url: str
    workdir: Path
    process: subprocess.Popen[bytes]

    def log(self, tail: int = 4000) -> str:
        return (self.workdir / "scrapyd.log").read_text(errors="replace")[-tail:]

    def job_log(self, spider: str, job: str) -> str:
        file = self.workdir / "logs" / PROJECT / spider / f"{job}.log"
        return file.read_text(errors="replace") if file.is_file() else f"(no job log at {file})"

    def job_outcome(self, job: str) -> str | None:
        """Scrapyd's verdict on a finished job: "finished" (exit 0), "died" or None (not ended)."""
        for line in self.log(tail=10_000_000).splitlines():
            if f"job={job!r}" in line and "Process finished:" in line:
                return "finished"
            if f"job={job!r}" in line and "Process died:" in line:
                return "died"
        return None

    def job_report(self, spider: str, job: str) -> str:
        """What went wrong: Scrapyd's lines about the job (its stderr included) and the job log's tail."""
        lines = self.log(tail=10_000_000).splitlines()
        pids = {m.group(1) for line in lines if f"job={job!r}" in line and (m := re.search(r"pid=(\d+)", line))}
        about = [line[:600] for line in lines
                 if f"job={job!r}" in line or any(f"Launcher,{pid}/" in line for pid in pids)]
        log = [line for line in self.job_log(spider, job).splitlines() if "[pymongo." not in line]
        return "\n".join(["--- scrapyd.log ---", *about[-40:], "--- job log ---", *log[-120:]])


def call(url: str, data: list[tuple[str, str]] | None = None, *, auth: bool = True,
         timeout: float = 10) -> tuple[int, dict[str, Any]]:
    """GET (or POST form ``data``) a Scrapyd endpoint: (HTTP status, JSON body or {})."""
    request = Request(url, data=urlencode(data).encode() if data is not None else None)
    if auth:
        token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except HTTPError as error:
        return error.code, {}


def clean_env() -> dict[str, str]:
    """This environment without anything that would override the test's own config."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("SCRAPYD_", "SCRAPY_")) and k not in STORE_VARIABLES}


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL it when it does not go within 5 s."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            process.wait()
    # Anything left in the group (a crawl job still running) goes too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the egg is built from, in a scratch directory."""
    src = tmp_path_factory.mktemp("project")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("crawler", "pipelines"):
        shutil.copytree(ROOT / package, src / package, ignore=ignore)
    for name in ("setup.py", "pyproject.toml", "README.md", "scrapy.cfg"):
        shutil.copy(ROOT / name, src / name)
    # A site that exists only in the egg: when Scrapyd lists it, the project was loaded from the
    # (zipped) egg, site configs included, and not from a checkout or an installed copy.
    config = (src / "crawler" / "sites" / "asiaplus.toml").read_text(encoding="utf-8")
    assert '\nname = "asiaplus"\n' in config
    (src / "crawler" / "sites" / f"{EGG_ONLY_SITE}.toml").write_text(
        config.replace('\nname = "asiaplus"\n', f'\nname = "{EGG_ONLY_SITE}"\n'), encoding="utf-8")
    return src


def deploy(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real ``scrapyd-deploy`` in ``project`` (its build directories, which it leaks, land under it)."""
    executable = BIN / "scrapyd-deploy"
    command = [str(executable) if executable.exists() else "scrapyd-deploy", *args]
    full_env = (env or clean_env()) | {"TMPDIR": str(project)}
    return subprocess.run(command, cwd=project, env=full_env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def egg(project_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``scrapyd-deploy --build-egg``, as an operator would run it."""
    path = tmp_path_factory.mktemp("egg") / "news.egg"
    result = deploy(project_copy, "--debug", "--build-egg", str(path))  # --debug: setup.py's output on failure
    assert result.returncode == 0 and path.is_file(), result.stdout[-3000:] + result.stderr[-3000:]
    return path


@contextlib.contextmanager
def running_scrapyd(workdir: Path, **options: str) -> Iterator[Scrapyd]:
    """A real Scrapyd on a free loopback port, with basic authentication, stopped on exit.

    ``deploy/scrapyd.conf`` as shipped, with this test's port, password, directories under
    ``workdir`` and a faster poll; ``options`` override more of its ``[scrapyd]`` section.
    """
    port = free_port()
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "deploy" / "scrapyd.conf", encoding="utf-8")
    assert config.get("scrapyd", "bind_address") == "127.0.0.1"
    assert config.get("scrapyd", "username") and config.get("scrapyd", "password")
    config["scrapyd"].update({
        "http_port": str(port), "username": USERNAME, "password": PASSWORD,
        "eggs_dir": str(workdir / "eggs"), "logs_dir": str(workdir / "logs"), "dbs_dir": str(workdir / "dbs"),
        "items_dir": str(workdir / "items"), "poll_interval": "0.2", "max_proc": "2", **options,
    })
    with (workdir / "scrapyd.conf").open("w", encoding="utf-8") as file:
        config.write(file)
    log = (workdir / "scrapyd.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "scrapyd", "--pidfile", str(workdir / "twistd.pid")],
        cwd=workdir, env=clean_env(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, jobs included: killed as one at the end
    )
    server = Scrapyd(f"http://127.0.0.1:{port}", workdir, process)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"Scrapyd exited with {process.returncode}:\n{server.log()}")
            try:
                status, body = call(f"{server.url}/daemonstatus.json", timeout=1)
                if status == 200 and body.get("status") == "ok":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Scrapyd did not answer within 30 s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    """A real Scrapyd on a free loopback port, with basic authentication."""
    with running_scrapyd(tmp_path_factory.mktemp("scrapyd")) as server:
        yield server


def test_egg_carries_both_packages_the_site_configs_and_the_settings_entry_point(egg: Path) -> None:
    with zipfile.ZipFile(egg) as zf:
        names = set(zf.namelist())
        entry_points = zf.read("EGG-INFO/entry_points.txt").decode()
    # Every source and data file of both packages: a data file missing here needs package-data.
    for package in ("crawler", "pipelines"):
        for file in (ROOT / package).rglob("*"):
            if file.is_file() and "__pycache__" not in file.parts and file.suffix not in (".pyc", ".pyo"):
                assert file.relative_to(ROOT).as_posix() in names, f"{file} is not in the egg"
    configs = sorted(p.name for p in (ROOT / "crawler" / "sites").glob("*.toml"))
    assert configs and "asiaplus.toml" in configs
    for name in configs:
        assert f"crawler/sites/{name}" in names, name
    assert "[scrapy]" in entry_points and "settings = crawler.settings" in entry_points
    assert f"crawler/sites/{EGG_ONLY_SITE}.toml" in names
    assert not any(n.startswith("tests/") for n in names)


def test_scrapyd_refuses_requests_without_the_password(scrapyd: Scrapyd) -> None:
    assert call(f"{scrapyd.url}/daemonstatus.json", auth=False)[0] == 401
    assert call(f"{scrapyd.url}/listprojects.json", auth=False)[0] == 401
    assert call(f"{scrapyd.url}/schedule.json", [("project", PROJECT), ("spider", "asiaplus")], auth=False)[0] == 401


@pytest.fixture(scope="module")
def deployed(scrapyd: Scrapyd, project_copy: Path) -> str:
    """The project deployed with the real ``scrapyd-deploy``: the version deployed."""
    # The project's own scrapy.cfg target that reads SCRAPYD_URL/USERNAME/PASSWORD from the environment.
    env = clean_env() | {"SCRAPYD_URL": scrapyd.url, "SCRAPYD_USERNAME": USERNAME, "SCRAPYD_PASSWORD": PASSWORD}
    result = deploy(project_copy, "env", "-p", PROJECT, "--version", "r1", env=env)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert json.loads(result.stdout)["status"] == "ok", result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    return "r1"


def test_deployed_egg_crawls_the_replica_into_mongodb(
    scrapyd: Scrapyd, deployed: str, mongo: MongoTarget, tmp_path: Path
) -> None:
    status, spiders = call(f"{scrapyd.url}/listspiders.json?project={PROJECT}", timeout=60)
    assert status == 200 and spiders.get("status") == "ok", (spiders, scrapyd.log())
    assert {"asiaplus", "news", EGG_ONLY_SITE} <= set(spiders["spiders"]), spiders

    with serve(REPLICAS / "asiaplus") as replica:
        status, scheduled = call(f"{scrapyd.url}/schedule.json", [
            ("project", PROJECT), ("spider", "asiaplus"),
            ("base_url", f"http://127.0.0.1:{replica.server_port}"),
            ("setting", "AUTOTHROTTLE_ENABLED=0"), ("setting", "DOWNLOAD_DELAY=0"),
            ("setting", "STORAGE_FLUSH_SECONDS=0.2"), ("setting", "STORAGE_TIMEOUT_SECONDS=3"),
            ("setting", f"MONGO_URI={mongo.uri}"), ("setting", f"MONGO_DATABASE={mongo.database}"),
            ("setting", f"DATA_DIR={tmp_path / 'data'}"), ("setting", "LOG_LEVEL=DEBUG"),
        ])
        assert status == 200 and scheduled.get("status") == "ok", (status, scheduled)
        job = scheduled["jobid"]

        deadline = time.monotonic() + JOB_TIMEOUT
        while True:
            _, jobs = call(f"{scrapyd.url}/listjobs.json?project={PROJECT}")
            if any(j["id"] == job for j in jobs.get("finished", [])):
                break
            assert time.monotonic() < deadline, f"job still running after {JOB_TIMEOUT} s:\n" + \
                scrapyd.job_report("asiaplus", job)
            time.sleep(0.2)

    outcome_deadline = time.monotonic() + 5  # Scrapyd logs the exit just before it lists the job as finished
    while scrapyd.job_outcome(job) is None and time.monotonic() < outcome_deadline:
        time.sleep(0.1)
    log = scrapyd.job_report("asiaplus", job)
    assert scrapyd.job_outcome(job) == "finished", f"Scrapyd job {job} failed:\n{log}"
    reactor = "Using reactor: twisted.internet.asyncioreactor.AsyncioSelectorReactor"
    assert reactor in scrapyd.job_log("asiaplus", job), log
    docs = {doc["url"]: doc for doc in mongo.db.articles.find()}
    assert set(docs) == set(expected_articles("asiaplus")), log
    for url, want in expected_articles("asiaplus").items():
        assert docs[url]["title"] == want["title"], url
        assert docs[url]["site"] == "asiaplus", url
    runs = list(mongo.db.crawl_runs.find())
    assert [(r["spider"], r["outcome"]) for r in runs] == [("asiaplus", "ok")], log
    assert runs[0]["articles_stored"] == len(docs)
    assert runs[0]["job"] == job  # the run record names the Scrapyd job (Scrapyd passes -a _job=<id>)


def schedule_all(scrapyd: Scrapyd, *args: str, password: str = PASSWORD,
                 project: str = PROJECT) -> subprocess.CompletedProcess[str]:
    env = clean_env() | {"SCRAPYD_URL": scrapyd.url, "SCRAPYD_USERNAME": USERNAME, "SCRAPYD_PASSWORD": password,
                         "SCRAPYD_PROJECT": project}
    return subprocess.run([sys.executable, str(ROOT / "deploy" / "schedule-all"), *args], env=env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_schedule_all_fails_on_a_wrong_password_without_printing_it(scrapyd: Scrapyd, deployed: str) -> None:
    wrong = "not-the-password-42"
    result = schedule_all(scrapyd, "-a", "since=2025-01-31", password=wrong)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "401" in result.stderr and not result.stdout
    for secret in (wrong, PASSWORD):
        assert secret not in result.stdout + result.stderr


def test_schedule_all_fails_when_scrapyd_refuses(scrapyd: Scrapyd, deployed: str) -> None:
    result = schedule_all(scrapyd, project="no-such-project")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "refused" in result.stderr and "no-such-project" in result.stderr, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert schedule_all(scrapyd, "no-such-spider").returncode == 2


def test_schedule_all_schedules_every_site_spider_with_the_arguments(
    scrapyd: Scrapyd, deployed: str, tmp_path: Path
) -> None:
    # Every job crawls a closed loopback port and stores nothing: scheduled for real, harmless when run.
    closed = f"http://127.0.0.1:{free_port()}"
    result = schedule_all(scrapyd, "-a", "since=2025-01-31", "-a", f"base_url={closed}", "-s", "STORAGE_ENABLED=0",
                          "-s", "RETRY_TIMES=0", "-s", f"DATA_DIR={tmp_path / 'data'}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    jobs = dict(re.findall(r"^(\S+): scheduled job (\w+)$", result.stdout, re.MULTILINE))
    assert set(jobs) == {*site_names(), EGG_ONLY_SITE}, result.stdout  # every site, not the generic `news`
    try:
        _, listed = call(f"{scrapyd.url}/listjobs.json?project={PROJECT}")
        known = {j["id"]: j for state in ("pending", "running", "finished") for j in listed[state]}
        assert set(jobs.values()) <= set(known), listed
        # Scrapyd shows the arguments of pending jobs only; with two slots, most are still pending.
        pending = [job for job in listed["pending"] if job["id"] in jobs.values()]
        assert pending, listed
        for job in pending:
            assert job["args"] == {"since": "2025-01-31", "base_url": closed}, job
            assert job["settings"] == {"STORAGE_ENABLED": "0", "RETRY_TIMES": "0",
                                       "DATA_DIR": str(tmp_path / "data")}, job
    finally:
        for job_id in jobs.values():
            call(f"{scrapyd.url}/cancel.json", [("project", PROJECT), ("job", job_id)])


def test_schedule_all_reports_a_job_that_failed_on_its_arguments(
    scrapyd: Scrapyd, deployed: str, tmp_path: Path
) -> None:
    """A misspelt -a argument or a mistyped -s value stops each job at its start: schedule-all watches
    the jobs start and says which failed and why (from the job's log), exit 1, not "scheduled"."""
    closed = f"http://127.0.0.1:{free_port()}"  # were the job to crawl, it would fetch nothing
    common = ["-a", f"base_url={closed}", "-s", "STORAGE_ENABLED=0", "-s", "RETRY_TIMES=0",
              "-s", f"DATA_DIR={tmp_path / 'data'}"]
    for mistake, said in ((["-a", "limt=2"], "unknown spider argument -a limt=... (did you mean limit?)"),
                          (["-s", "CONCURRENT_REQUESTS=abc"], "CONCURRENT_REQUESTS must be an integer")):
        result = schedule_all(scrapyd, "asiaplus", *common, *mistake)
        assert result.returncode == 1, result.stdout + result.stderr
        [job] = re.findall(r"^asiaplus: scheduled job (\w+)$", result.stdout, re.MULTILINE)
        assert f"schedule-all: asiaplus: job {job} failed at start: " in result.stderr, result.stderr
        assert said in result.stderr, result.stderr
    good = schedule_all(scrapyd, "asiaplus", *common)  # the same job with good arguments passes the watch
    # It goes on crawling the closed port at the site's pace: cancelled, not left to hold a slot of the next test.
    for job in re.findall(r"^asiaplus: scheduled job (\w+)$", good.stdout, re.MULTILINE):
        call(f"{scrapyd.url}/cancel.json", [("project", PROJECT), ("job", job)])
    assert good.returncode == 0, good.stdout + good.stderr
    assert "failed at start" not in good.stderr


def job_settings(mongo: MongoTarget, data_dir: Path, *extra: str) -> list[tuple[str, str]]:
    """Scrapyd form fields: a fast crawl into ``mongo``, spools and locks under ``data_dir``."""
    settings = ["AUTOTHROTTLE_ENABLED=0", "DOWNLOAD_DELAY=0", "STORAGE_TIMEOUT_SECONDS=3", f"MONGO_URI={mongo.uri}",
                f"MONGO_DATABASE={mongo.database}", f"DATA_DIR={data_dir}", "RUN_RECORD_INTERVAL_SECONDS=0", *extra]
    return [("setting", setting) for setting in settings]


def wait_idle(scrapyd: Scrapyd) -> None:
    """Until Scrapyd runs no job and has none pending (an earlier test's jobs would take the slots)."""
    deadline = time.monotonic() + JOB_TIMEOUT
    while True:
        _, status = call(f"{scrapyd.url}/daemonstatus.json")
        if status.get("running") == 0 and status.get("pending") == 0:
            return
        if time.monotonic() > deadline:
            _, listed = call(f"{scrapyd.url}/listjobs.json?project={PROJECT}")
            busy = [scrapyd.job_report(job["spider"], job["id"]) for job in listed.get("running", [])]
            pytest.fail(f"Scrapyd still busy after {JOB_TIMEOUT} s: {status}\n" + "\n".join(busy))
        time.sleep(0.2)


def schedule(scrapyd: Scrapyd, spider: str, base_url: str, fields: list[tuple[str, str]]) -> str:
    status, scheduled = call(f"{scrapyd.url}/schedule.json", [("project", PROJECT), ("spider", spider),
                                                              ("base_url", base_url), *fields])
    assert status == 200 and scheduled.get("status") == "ok", (status, scheduled)
    return str(scheduled["jobid"])


def wait_finished(scrapyd: Scrapyd, jobs: list[str], spider: str) -> None:
    deadline = time.monotonic() + JOB_TIMEOUT
    while True:
        _, listed = call(f"{scrapyd.url}/listjobs.json?project={PROJECT}")
        finished = {j["id"] for j in listed.get("finished", [])}
        if set(jobs) <= finished and all(scrapyd.job_outcome(job) for job in jobs):
            return
        assert time.monotonic() < deadline, "\n".join(scrapyd.job_report(spider, job) for job in jobs)
        time.sleep(0.2)


def exit_status(scrapyd: Scrapyd, job: str) -> str | None:
    """The exit status Scrapyd logged for ``job`` ("0", "75", "None" when killed by a signal)."""
    for line in scrapyd.log(tail=10_000_000).splitlines():
        if f"job={job!r}" in line and "Process finished:" in line:  # Scrapyd's line for exit 0
            return "0"
        if f"job={job!r}" in line and (found := re.search(r"Process died: exitstatus=(\w+)", line)):
            return found.group(1)
    return None


def test_two_jobs_of_one_site_at_once_crawl_it_once_and_the_other_is_recorded_skipped(
    scrapyd: Scrapyd, deployed: str, mongo: MongoTarget, tmp_path: Path
) -> None:
    with serve(REPLICAS / "asiaplus", delay=0.3) as replica:
        base = f"http://127.0.0.1:{replica.server_port}"
        fields = job_settings(mongo, tmp_path / "data", "STORAGE_FLUSH_SECONDS=0.2")
        wait_idle(scrapyd)  # both jobs start at once (max_proc 2)
        jobs = [schedule(scrapyd, "asiaplus", base, fields) for _ in range(2)]
        wait_finished(scrapyd, jobs, "asiaplus")
    runs = {r["job"]: r for r in mongo.db.crawl_runs.find()}
    report = "\n".join(scrapyd.job_report("asiaplus", job) for job in jobs)
    assert sorted(r["outcome"] for r in runs.values()) == ["ok", "skipped"], report
    assert {runs[job]["outcome"]: exit_status(scrapyd, job) for job in jobs} == {"ok": "0", "skipped": "75"}, report
    urls = [doc["url"] for doc in mongo.db.articles.find()]
    assert sorted(urls) == sorted(expected_articles("asiaplus")), report  # crawled once, each article once


@pytest.mark.parametrize("signal_name", ["INT", "KILL"])
def test_a_job_cancelled_mid_crawl_loses_nothing_and_the_next_job_completes_the_site(
    scrapyd: Scrapyd, deployed: str, mongo: MongoTarget, tmp_path: Path, signal_name: str
) -> None:
    site = tmp_path / "site"
    shutil.copytree(REPLICAS / "asiaplus", site)
    articles = {urlsplit(url).path for url in expected_articles("asiaplus")}
    # Its articles answered late: it cannot finish (and flush at its close) before the signal; a graceful stop
    # waits for the answers on their way.
    held = {"INT": 3.0, "KILL": JOB_TIMEOUT}[signal_name]
    (site / "_server.json").write_text(json.dumps({"paths": {path: {"delay": held} for path in articles}}))
    with serve(site, delay=1.0) as replica:
        base = f"http://127.0.0.1:{replica.server_port}"
        # Cancelled while its article requests are answered; its items would wait in the buffer (60 s flush).
        fields = job_settings(mongo, tmp_path / "data", "STORAGE_FLUSH_SECONDS=60", "SITE_LEASE_SECONDS=3")
        wait_idle(scrapyd)
        first = schedule(scrapyd, "asiaplus", base, fields)
        deadline = time.monotonic() + JOB_TIMEOUT
        while not articles & set(replica.served):  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, scrapyd.job_report("asiaplus", first)
            time.sleep(0.05)
        status, cancelled = call(f"{scrapyd.url}/cancel.json", [("project", PROJECT), ("job", first),
                                                                ("signal", signal_name)])
        assert status == 200 and cancelled.get("prevstate") == "running", cancelled
        wait_finished(scrapyd, [first], "asiaplus")
        (site / "_server.json").unlink(missing_ok=True)
        time.sleep(3.5)  # the lease a killed job left lapses (SITE_LEASE_SECONDS=3)
        fields = job_settings(mongo, tmp_path / "data", "STORAGE_FLUSH_SECONDS=0.2")
        second = schedule(scrapyd, "asiaplus", base, fields)
        wait_finished(scrapyd, [second], "asiaplus")
    report = scrapyd.job_report("asiaplus", first) + scrapyd.job_report("asiaplus", second)
    urls = [doc["url"] for doc in mongo.db.articles.find()]
    assert sorted(urls) == sorted(expected_articles("asiaplus")), report  # every article, once
    runs = {r["job"]: r for r in mongo.db.crawl_runs.find()}
    assert runs[second]["outcome"] == "ok" and exit_status(scrapyd, second) == "0", report
    if signal_name == "INT":  # a graceful stop: recorded as failed (shutdown), what it fetched stored
        assert (runs[first]["outcome"], runs[first]["finish_reason"]) == ("failed", "shutdown"), report
        assert exit_status(scrapyd, first) == "1"
        assert runs[first]["articles_stored"] + runs[second]["articles_stored"] == len(urls), report
    else:  # killed: no record, its buffered items lost with it and fetched again by the next job
        assert first not in runs and exit_status(scrapyd, first) == "None", report
        assert runs[second]["articles_stored"] == len(urls), report
