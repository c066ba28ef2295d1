"""``deploy/schedule-all`` on several Scrapyd nodes: two real Scrapyd daemons on two loopback
ports (separate working directories), the real egg uploaded to each, the sites spread by load
(``daemonstatus.json``), a node down or without the egg left out, ``--workers`` and ``--dry-run``;
and the greedy plan as a table.

The nodes poll their queues once an hour: a scheduled job stays pending, so a node's load is
exactly what the test put there and no crawl runs (``tests/test_scrapyd.py`` runs one for real).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

from crawler.bench.replica_server import serve
from crawler.sites import site_names
from tests import test_scrapyd
from tests.conftest import free_port
from tests.crawling import ROOT, MongoTarget
from tests.replicas import REPLICAS, expected_articles
from tests.test_scrapyd import (
    EGG_ONLY_SITE,
    PASSWORD,
    PROJECT,
    USERNAME,
    Scrapyd,
    call,
    clean_env,
    deploy,
    exit_status,
    running_scrapyd,
    wait_finished,
)

# The single-node module's fixtures: the project copied aside and its egg, built once per module.
project_copy = test_scrapyd.project_copy
egg = test_scrapyd.egg

SCRIPT = ROOT / "deploy" / "schedule-all"
NO_POLL = {"poll_interval": "3600"}  # jobs stay pending: the load is what the test scheduled


def load_script() -> ModuleType:
    """``deploy/schedule-all`` as a module (it has no ``.py`` suffix)."""
    loader = importlib.machinery.SourceFileLoader("schedule_all", str(SCRIPT))
    spec = importlib.util.spec_from_loader("schedule_all", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


PLANS = [
    # (spiders, loads in listed order, hosts or None, workers, expected)
    (["a", "b", "c", "d"], {"n1": 0, "n2": 0}, None, 1,
     [("a", ["n1"]), ("b", ["n2"]), ("c", ["n1"]), ("d", ["n2"])]),  # ties go to the node listed first
    (["a", "b", "c", "d", "e"], {"n1": 3, "n2": 0}, None, 1,
     [("a", ["n2"]), ("b", ["n2"]), ("c", ["n2"]), ("d", ["n1"]), ("e", ["n2"])]),  # the busy node waits
    (["a", "b"], {"n1": 1, "n2": 5, "n3": 0}, None, 1, [("a", ["n3"]), ("b", ["n1"])]),
    (["a", "b"], {"n1": 0, "n2": 0, "n3": 0}, None, 2, [("a", ["n1", "n2"]), ("b", ["n3", "n1"])]),
    (["a"], {"n1": 0, "n2": 0}, None, 3, [("a", ["n1", "n2"])]),  # fewer nodes than workers
    (["a", "b"], {"n1": 0, "n2": 9}, {"a": ["n2"], "b": ["n1", "n2"]}, 1,  # only n2 has a
     [("a", ["n2"]), ("b", ["n1"])]),
    (["a"], {"n1": 0}, {"a": ["gone", "n1"]}, 2, [("a", ["n1"])]),  # a node left out is never chosen
    ([], {"n1": 0}, None, 1, []),
]


@pytest.mark.parametrize(("spiders", "loads", "hosts", "workers", "expected"), PLANS)
def test_plan_gives_each_site_the_least_loaded_nodes_counting_as_it_goes(
    spiders: list[str], loads: dict[str, int], hosts: dict[str, list[str]] | None, workers: int,
    expected: list[tuple[str, list[str]]],
) -> None:
    assert load_script().plan(spiders, loads, hosts, workers) == expected


def test_bad_node_urls_and_eggs_are_refused_before_any_request(tmp_path: Path) -> None:
    (tmp_path / "news.egg").write_text("not a zip")
    for urls, message in (("http://127.0.0.1:1 --deploy " + str(tmp_path / "news.egg"), "not an egg file"),
                          ("ftp://127.0.0.1:6800", "http:// or https://"), (" , ", "names no node"),
                          ("http://u:s3cret-x@127.0.0.1:x/", "is not a URL")):
        urls, *args = urls.split()
        result = subprocess.run([sys.executable, str(SCRIPT), *args], env={"PATH": "/usr/bin", "SCRAPYD_URLS": urls},
                                capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert "s3cret" not in result.stdout + result.stderr


@contextmanager
def deployed_nodes(tmp_path_factory: pytest.TempPathFactory, egg: Path, project_copy: Path, name: str,
                   **options: str) -> Iterator[list[Scrapyd]]:
    """Two real Scrapyd nodes (``running_scrapyd`` ``options``; separate eggs, logs and dbs dirs), each with the egg
    deployed by the real ``scrapyd-deploy --egg``."""
    with running_scrapyd(tmp_path_factory.mktemp(f"{name}1"), **options) as node1, \
            running_scrapyd(tmp_path_factory.mktemp(f"{name}2"), **options) as node2:
        for node in (node1, node2):
            env = clean_env() | {"SCRAPYD_URL": node.url, "SCRAPYD_USERNAME": USERNAME,
                                 "SCRAPYD_PASSWORD": PASSWORD}
            result = deploy(project_copy, "env", "-p", PROJECT, "--version", "r1", "--egg", str(egg), env=env)
            assert result.returncode == 0 and '"ok"' in result.stdout, result.stdout + result.stderr[-3000:]
        yield [node1, node2]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory, egg: Path, project_copy: Path) -> Iterator[list[Scrapyd]]:
    """Two nodes that never start a job (its load is what the test scheduled)."""
    with deployed_nodes(tmp_path_factory, egg, project_copy, "node", **NO_POLL) as both:
        yield both


def pending(node: Scrapyd) -> dict[str, str]:
    """The node's pending jobs: job id -> spider."""
    status, listed = call(f"{node.url}/listjobs.json?project={PROJECT}")
    assert status == 200 and listed.get("status") == "ok", listed
    assert not listed["running"], listed  # the nodes never poll: nothing starts
    return {job["id"]: job["spider"] for job in listed["pending"]}


@pytest.fixture
def idle(nodes: list[Scrapyd]) -> Iterator[list[Scrapyd]]:
    """The two nodes with no job, and none left behind by the test."""
    for node in nodes:
        assert not pending(node)
    try:
        yield nodes
    finally:
        for node in nodes:
            for job in pending(node):
                call(f"{node.url}/cancel.json", [("project", PROJECT), ("job", job)])


def schedule_all(urls: list[str], *args: str, credentials: bool = True) -> subprocess.CompletedProcess[str]:
    env = clean_env() | {"SCRAPYD_URLS": ",".join(urls), "SCRAPYD_PROJECT": PROJECT}
    if credentials:
        env |= {"SCRAPYD_USERNAME": USERNAME, "SCRAPYD_PASSWORD": PASSWORD}
    closed = f"http://127.0.0.1:{free_port()}"  # were a job to run, it would fetch nothing
    # --wait 0: these nodes never start a job, so there is no start to watch.
    return subprocess.run([sys.executable, str(SCRIPT), "--wait", "0", "-a", f"base_url={closed}",
                           "-s", "STORAGE_ENABLED=0", *args],
                          env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def scheduled(result: subprocess.CompletedProcess[str]) -> dict[str, tuple[str, str]]:
    """What schedule-all reports it scheduled: job id -> (spider, node)."""
    found = re.findall(r"^(\S+): scheduled job (\w+) on (\S+)$", result.stdout, re.MULTILINE)
    return {job: (spider, node) for spider, job, node in found}


ALL_SITES = {*site_names(), EGG_ONLY_SITE}


@pytest.mark.e2e
def test_schedule_all_spreads_the_sites_over_both_nodes(idle: list[Scrapyd]) -> None:
    node1, node2 = idle
    result = schedule_all([node1.url, node2.url])
    assert result.returncode == 0, result.stdout + result.stderr
    jobs = scheduled(result)
    on1, on2 = pending(node1), pending(node2)
    # What it says it did is what each node holds: every site once, half of them on each node.
    assert jobs == {**{j: (s, node1.url) for j, s in on1.items()}, **{j: (s, node2.url) for j, s in on2.items()}}
    assert sorted([*on1.values(), *on2.values()]) == sorted(ALL_SITES)
    assert abs(len(on1) - len(on2)) <= 1 and on1 and on2, (on1, on2)
    assert PASSWORD not in result.stdout + result.stderr


@pytest.mark.e2e
def test_a_loaded_node_gets_fewer_sites(idle: list[Scrapyd]) -> None:
    node1, node2 = idle
    for _ in range(4):  # node1 already has four jobs waiting
        status, body = call(f"{node1.url}/schedule.json", [("project", PROJECT), ("spider", "asiaplus")])
        assert status == 200 and body["status"] == "ok", body
    status, daemon = call(f"{node1.url}/daemonstatus.json")
    assert daemon["pending"] + daemon["running"] == 4, daemon

    result = schedule_all([node1.url, node2.url])
    assert result.returncode == 0, result.stdout + result.stderr
    nodes = [node for _, node in scheduled(result).values()]
    # The sites over loads 4 and 0: node2 takes four, then they alternate: the loads end level (within one).
    ones, twos = nodes.count(node1.url), nodes.count(node2.url)
    assert ones + twos == len(ALL_SITES) and abs(4 + ones - twos) <= 1 and twos > ones, result.stdout
    assert (len(pending(node1)), len(pending(node2))) == (4 + ones, twos)


@pytest.mark.e2e
def test_a_node_down_is_named_without_credentials_and_the_others_are_scheduled(idle: list[Scrapyd]) -> None:
    node1, node2 = idle
    down = f"127.0.0.1:{free_port()}"
    secret = "down-node-s3cret"
    # Per-node credentials in the URLs, none in the environment.
    urls = [f"http://{USERNAME}:{secret}@{down}", *(node.url.replace("//", f"//{USERNAME}:{PASSWORD}@")
                                                    for node in (node1, node2))]
    result = schedule_all(urls, credentials=False)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"http://{USERNAME}:***@{down}: daemonstatus.json: cannot reach Scrapyd" in result.stderr, output
    assert "1 of 3 nodes left out" in result.stderr, output
    assert secret not in output and PASSWORD not in output
    spiders = [spider for spider, _ in scheduled(result).values()]
    assert sorted(spiders) == sorted(ALL_SITES), output
    assert sorted([*pending(node1).values(), *pending(node2).values()]) == sorted(ALL_SITES)
    assert abs(len(pending(node1)) - len(pending(node2))) <= 1


@pytest.mark.e2e
def test_workers_put_the_same_site_on_distinct_nodes(idle: list[Scrapyd]) -> None:
    node1, node2 = idle
    result = schedule_all([node1.url, node2.url], "--workers", "2", "asiaplus")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(scheduled(result).values()) == sorted([("asiaplus", node1.url), ("asiaplus", node2.url)])
    assert list(pending(node1).values()) == list(pending(node2).values()) == ["asiaplus"]

    result = schedule_all([node1.url, node2.url], "--workers", "3", "kun")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kun: --workers 3 but only 2 node(s) can run it" in result.stderr
    assert sorted(pending(node1).values()) == sorted(pending(node2).values()) == ["asiaplus", "kun"]


@pytest.mark.e2e
def test_dry_run_prints_the_plan_and_schedules_nothing(idle: list[Scrapyd]) -> None:
    node1, node2 = idle
    twice = node2.url.replace("//", f"//{USERNAME}:{PASSWORD}@") + "/"  # node2 again: still one node
    result = schedule_all([node1.url, node2.url, twice], "--dry-run", "asiaplus", "kun", "24kg")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [f"asiaplus: would schedule on {node1.url}",
                                          f"kun: would schedule on {node2.url}",
                                          f"24kg: would schedule on {node1.url}"]
    assert not pending(node1) and not pending(node2)


@pytest.mark.e2e
def test_a_node_without_the_egg_is_named_then_deploy_uploads_it(
    idle: list[Scrapyd], egg: Path, tmp_path: Path
) -> None:
    node1, _ = idle
    (tmp_path / "fresh").mkdir()
    with running_scrapyd(tmp_path / "fresh", **NO_POLL) as fresh:  # a third node, nothing deployed
        result = schedule_all([node1.url, fresh.url], "asiaplus")
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"{fresh.url}: listspiders.json: Scrapyd refused: project 'news' not found (no egg of project " \
               "'news' deployed there: deploy it with --deploy EGG)" in result.stderr, result.stderr
        assert list(scheduled(result).values()) == [("asiaplus", node1.url)]  # the node with the egg still runs

        result = schedule_all([node1.url, fresh.url], "--deploy", str(egg), "--version", "r2", "asiaplus")
        assert result.returncode == 0, result.stdout + result.stderr
        for url in (node1.url, fresh.url):
            assert re.search(rf"^{re.escape(url)}: deployed news r2 \(\d+ spiders\)$", result.stdout, re.MULTILINE)
        assert list(scheduled(result).values()) == [("asiaplus", fresh.url)]  # node1 holds the first job
        _, versions = call(f"{fresh.url}/listversions.json?project={PROJECT}")
        assert versions["versions"] == ["r2"]
        assert list(pending(fresh).values()) == ["asiaplus"]


# -- two nodes running jobs: one shared crawl ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def polling_nodes(tmp_path_factory: pytest.TempPathFactory, egg: Path, project_copy: Path) -> Iterator[list[Scrapyd]]:
    """Two nodes that start their jobs."""
    with deployed_nodes(tmp_path_factory, egg, project_copy, "crawl") as both:
        yield both


@pytest.mark.e2e
def test_two_nodes_given_one_site_with_redis_crawl_it_once_as_one_shared_crawl(
    polling_nodes: list[Scrapyd], mongo: MongoTarget, redis_url: str, tmp_path: Path
) -> None:
    """``schedule-all --workers 2`` with ``REDIS_URL``: a job on each node, each with its own DATA_DIR, joins the
    site's one shared crawl; every article is stored once, one run document holds both workers, both exit 0."""
    node1, node2 = polling_nodes
    with serve(REPLICAS / "asiaplus", delay=0.2) as replica:
        base = f"http://127.0.0.1:{replica.server_port}"
        settings = ["AUTOTHROTTLE_ENABLED=0", "DOWNLOAD_DELAY=0", "STORAGE_TIMEOUT_SECONDS=3",
                    "STORAGE_FLUSH_SECONDS=0.2", f"MONGO_URI={mongo.uri}", f"MONGO_DATABASE={mongo.database}",
                    f"REDIS_URL={redis_url}", "FRONTIER_IDLE_SECONDS=2", "RUN_RECORD_INTERVAL_SECONDS=0"]
        jobs: dict[str, list[str]] = {node1.url: [], node2.url: []}
        for node, data in ((node1, "data1"), (node2, "data2")):
            fields = [("setting", s) for s in [*settings, f"DATA_DIR={tmp_path / data}"]]
            status, body = call(f"{node.url}/schedule.json",
                                [("project", PROJECT), ("spider", "asiaplus"), ("base_url", base), *fields])
            assert status == 200 and body.get("status") == "ok", body
            jobs[node.url].append(str(body["jobid"]))
        for node in (node1, node2):
            wait_finished(node, jobs[node.url], "asiaplus")
    report = "\n".join(node.job_report("asiaplus", job) for node in (node1, node2) for job in jobs[node.url])
    assert [exit_status(node, jobs[node.url][0]) for node in (node1, node2)] == ["0", "0"], report
    urls = [doc["url"] for doc in mongo.db.articles.find()]
    assert sorted(urls) == sorted(expected_articles("asiaplus")), report  # each article once
    runs = list(mongo.db.crawl_runs.find())
    assert len(runs) == 1 and len(runs[0]["workers"]) == 2, (runs, report)  # one crawl, both workers in it
    assert runs[0]["outcome"] == "ok", report
