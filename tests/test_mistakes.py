"""Ordinary operator mistakes, through the real ``scrapy`` command: each is one clear line and exit 2
(or a quiet end), never a traceback and never a crawl of the live site."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawler.bench.replica_server import serve
from crawler.storage.store import ArticleStore, StoreTarget
from tests.conftest import free_port, kill, start_nx27017
from tests.crawling import FAST, ROOT
from tests.replicas import REPLICAS
from tests.test_faults import start_crawl, wait_for

pytestmark = pytest.mark.e2e  # the real scrapy command, a process each

# Were a check missing, the command would crawl the live site: every request then goes to a closed
# loopback port instead (Scrapy's proxy middleware reads these), and the test still fails on the exit code.
NO_EGRESS = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "no_proxy": "127.0.0.1"}


def scrapy(*args: str, data_dir: Path, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=cwd, capture_output=True, text=True,
                          env={"DATA_DIR": str(data_dir), "PATH": "", **NO_EGRESS, **env}, timeout=90,
                          stdin=subprocess.DEVNULL)


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The usage error, checked to be the one line of its kind and no traceback."""
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    errors = [line.partition(": error: ")[2] for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr[-2000:]  # argparse's "<prog>: error: <message>"
    return errors[0]


@pytest.mark.parametrize(("argument", "said"), [
    ("limt=2", "-a limt=... (did you mean limit?)"),
    ("base-url=https://asiaplus.news", "-a base-url=... (did you mean base_url?)"),
    ("config=site.toml", "-a config=... (a site from its URL or a config file is crawled by the news spider"),
])
def test_an_unknown_spider_argument_is_refused_with_the_known_ones(tmp_path: Path, argument: str, said: str) -> None:
    line = error_line(scrapy("crawl", "asiaplus", "-a", argument, data_dir=tmp_path))
    assert said in line and "this spider takes base_url, since, limit, sources" in line
    assert not (tmp_path / "news.db").exists()  # nothing started


def test_the_news_spider_names_its_own_arguments(tmp_path: Path) -> None:
    line = error_line(scrapy("crawl", "news", "-a", "url=https://example.kg/", "-a", "conifg=x.toml",
                             data_dir=tmp_path))
    assert "-a conifg=... (did you mean config?)" in line and "sources, url, config" in line


@pytest.mark.parametrize(("arguments", "said"), [
    # urlsplit refuses an unclosed bracket, a request a port past 65535: both were a traceback (exit 1)
    (["url=http://[::1/"], "url must be a site's home page such as https://example.kg/, got 'http://[::1/'"),
    (["url=https://example.kg/", "base_url=http://[::1"], "base_url must be a mirror's origin such as "
                                                         "http://127.0.0.1:8080, got 'http://[::1'"),
    (["url=https://example.kg/", "base_url=http://127.0.0.1:99999"], "got 'http://127.0.0.1:99999'"),
    (["url=https://example.kg/", "base_url=http://"], "got 'http://'"),
    (["url=https://example.kg/", "base_url=http://:8080"], "got 'http://:8080'"),
])
def test_a_url_argument_no_request_can_be_made_of_is_one_line(tmp_path: Path, arguments: list[str], said: str) -> None:
    line = error_line(scrapy("crawl", "news", *(item for argument in arguments for item in ("-a", argument)),
                             data_dir=tmp_path))
    assert said in line
    assert not (tmp_path / "news.db").exists()  # nothing started


def test_crawlall_refuses_an_unknown_argument_or_site(tmp_path: Path) -> None:
    assert "-a limt=... (did you mean limit?)" in error_line(scrapy("crawlall", "-a", "limt=3", data_dir=tmp_path))
    line = error_line(scrapy("crawlall", "--sites", "asiaplsu", data_dir=tmp_path))
    assert line == "unknown site(s): asiaplsu (did you mean asiaplus?)"


@pytest.mark.parametrize("argument", ["base_url=", "since=", "limit= ", "sources="])
def test_an_empty_spider_argument_is_refused(tmp_path: Path, argument: str) -> None:
    """``-a base_url=$MIRROR`` with the variable unset crawled the live site; ``-a since=$(date ...)`` whose command
    failed, the whole site."""
    name = argument.partition("=")[0]
    for command in (["crawl", "asiaplus"], ["crawlall", "--sites", "asiaplus"]):
        line = error_line(scrapy(*command, "-a", argument, data_dir=tmp_path))
        assert line.startswith(f"-a {name}= is empty"), line
    assert not (tmp_path / "news.db").exists()  # nothing started


@pytest.mark.parametrize("sites", ["", ",", " , "])
def test_crawlall_refuses_sites_naming_no_site(tmp_path: Path, sites: str) -> None:
    """``--sites "$SITES"`` with the variable unset crawled every site (and ``--sites ,`` said "unknown site(s): ")."""
    line = error_line(scrapy("crawlall", "--sites", sites, data_dir=tmp_path))
    assert line.startswith(f"--sites {sites!r} names no site"), line
    assert not (tmp_path / "news.db").exists()  # nothing started


def test_crawlall_reads_site_names_as_written_around_commas(tmp_path: Path) -> None:
    line = error_line(scrapy("crawlall", "--sites", "asiaplus, asiaplsu", data_dir=tmp_path))
    assert line == "unknown site(s): asiaplsu (did you mean asiaplus?)"


def test_scrapyds_job_argument_is_taken(tmp_path: Path) -> None:
    """Scrapyd starts every job with -a _job=<id>: a run it starts must not be refused for that."""
    settings = [item for setting in FAST for item in ("-s", setting)]
    with serve(REPLICAS / "asiaplus") as server:
        result = scrapy("crawl", "asiaplus", "-a", "_job=4f6a0c", "-a", "limit=1", "-a", "sources=feeds",
                        "-a", f"base_url=http://127.0.0.1:{server.server_port}", *settings, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'item_scraped_count': 1" in result.stderr


def test_an_unknown_spider_is_one_line_with_the_close_names(tmp_path: Path) -> None:
    result = scrapy("crawl", "asiaplsu", data_dir=tmp_path)
    assert error_line(result) == "unknown spider 'asiaplsu' (did you mean asiaplus?); `scrapy list` names them all"
    assert "Scrapy 2." not in result.stderr  # refused before the crawler process (and its banner) starts


@pytest.mark.parametrize(("setting", "said"), [
    ("CONCURRENT_REQUESTS=abc", "-s CONCURRENT_REQUESTS=abc: CONCURRENT_REQUESTS must be an integer"),  # Scrapy's
    ("STORAGE_ENABLED=maybe", "-s STORAGE_ENABLED=maybe: STORAGE_ENABLED must be a boolean (1/0, true/false)"),
    ("STORAGE_FLUSH_SECONDS=soon", "-s STORAGE_FLUSH_SECONDS=soon: STORAGE_FLUSH_SECONDS must be a number"),
    # Below the least value the environment variable of the same name is held to: a batch size of 0
    # never writes, a negative delay is nonsense.
    ("STORAGE_BATCH_SIZE=0", "-s STORAGE_BATCH_SIZE=0: STORAGE_BATCH_SIZE must be >= 1"),
    ("DOWNLOAD_DELAY=-1", "-s DOWNLOAD_DELAY=-1: DOWNLOAD_DELAY must be >= 0"),
    ("STORAGE_FLUSH_SECONDS=0.01", "-s STORAGE_FLUSH_SECONDS=0.01: STORAGE_FLUSH_SECONDS must be >= 0.1"),
    # "inf" waited forever between requests, "nan" passes every bound
    ("DOWNLOAD_DELAY=inf", "-s DOWNLOAD_DELAY=inf: DOWNLOAD_DELAY must be a finite number"),
    ("STORAGE_TIMEOUT_SECONDS=nan", "-s STORAGE_TIMEOUT_SECONDS=nan: STORAGE_TIMEOUT_SECONDS must be a finite number"),
    # a URI without its scheme: the driver's error quoted the password, Redis's ended the crawl in a traceback
    ("MONGO_URI=crawler:s3cr3t@127.0.0.1:1", "-s MONGO_URI=crawler:***@127.0.0.1:1: MONGO_URI must start with "
                                             "mongodb:// or mongodb+srv://, got 'crawler:***@127.0.0.1:1'"),
    ("REDIS_URL=redis//:s3cr3t@127.0.0.1:1/0", "-s REDIS_URL=redis//:***@127.0.0.1:1/0: REDIS_URL must start with "
                                               "redis:// or rediss:// or unix://, got 'redis//:***@127.0.0.1:1/0'"),
])
def test_a_bad_setting_value_names_the_setting(tmp_path: Path, setting: str, said: str) -> None:
    assert error_line(scrapy("crawl", "asiaplus", "-s", setting, data_dir=tmp_path)) == said
    assert error_line(scrapy("report", "-s", setting, data_dir=tmp_path)) == said


@pytest.mark.parametrize(("variable", "said"), [
    ({"CONCURRENT_REQUESTS": "abc"}, "environment variable CONCURRENT_REQUESTS must be an integer, got 'abc'"),
    ({"STORAGE_ENABLED": "maybe"}, "environment variable STORAGE_ENABLED must be a boolean (1/0, true/false), "
                                   "got 'maybe'"),
    ({"DOWNLOAD_DELAY": "inf"}, "environment variable DOWNLOAD_DELAY must be a finite number, got 'inf'"),
    ({"STORAGE_TIMEOUT_SECONDS": "NaN"}, "environment variable STORAGE_TIMEOUT_SECONDS must be a finite number, "
                                         "got 'NaN'"),
    ({"MONGO_URI": "crawler:s3cr3t@127.0.0.1:1"}, "environment variable MONGO_URI must start with mongodb:// or "
                                                  "mongodb+srv://, got 'crawler:***@127.0.0.1:1'"),
    ({"REDIS_URL": ":s3cr3t@127.0.0.1:1/0"}, "environment variable REDIS_URL must start with redis:// or rediss:// or "
                                             "unix://, got ':***@127.0.0.1:1/0'"),
])
def test_a_bad_environment_value_names_the_variable(tmp_path: Path, variable: dict[str, str], said: str) -> None:
    """Scrapy imports the settings module before any command runs: a traceback there before."""
    assert error_line(scrapy("crawl", "asiaplus", data_dir=tmp_path, **variable)) == said
    assert error_line(scrapy("list", data_dir=tmp_path, **variable)) == said


@pytest.mark.parametrize("command", [["articles"], ["report"], ["crawlall"], ["list"], ["crawl", "asiaplus"]])
def test_an_option_a_command_does_not_know_is_refused(tmp_path: Path, command: list[str]) -> None:
    assert error_line(scrapy(*command, "--bogus", data_dir=tmp_path)) == "unknown option --bogus (see --help)"


@pytest.mark.parametrize("command", [["articles"], ["list"], ["list", "--details"]])
def test_a_command_taking_options_only_refuses_a_stray_argument(tmp_path: Path, command: list[str]) -> None:
    line = error_line(scrapy(*command, "asiaplus", data_dir=tmp_path))  # "scrapy list asiaplus" listed all, exit 0
    assert line == "unexpected argument 'asiaplus': this command takes options only (see --help)"


def test_a_storage_outage_is_one_line_per_warning_without_the_drivers_topology_dump(tmp_path: Path) -> None:
    """MongoDB dies mid-crawl: each failed write, lookup and run record is one line naming the error,
    not pymongo's timeouts and description of every server."""
    (tmp_path / "nx").mkdir()
    port = free_port()
    nx = start_nx27017(tmp_path / "nx", port)
    try:
        with serve(REPLICAS / "asiaplus", delay=0.2) as server:
            crawler = start_crawl(f"http://127.0.0.1:{server.server_port}", f"mongodb://127.0.0.1:{port}",
                                  tmp_path / "data", "STORAGE_RETRIES=1")
            wait_for(lambda: server.requests)  # type: ignore[attr-defined]
            kill(nx)
            output, _ = crawler.communicate(timeout=120)
    finally:
        kill(nx)
    assert crawler.returncode in (1, 2), output[-3000:]
    failures = [line for line in output.splitlines() if "failed (attempt" in line or "Could not record" in line]
    assert failures, output[-3000:]
    for line in failures:
        assert f"127.0.0.1:{port}: [Errno 111] Connection refused" in line, line
    assert "Topology Description" not in output and "configured timeouts" not in output, output[-3000:]


def test_a_relative_data_dir_is_under_the_project_from_any_directory(tmp_path: Path) -> None:
    """``DATA_DIR=store`` means <project>/store (the directory of scrapy.cfg), wherever the command runs:
    ``cd sub && scrapy articles`` shows what the crawl stored instead of opening a new empty store."""
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "scrapy.cfg").write_text("[settings]\ndefault = crawler.settings\n", encoding="utf-8")
    settings = [item for setting in FAST for item in ("-s", setting)]
    with serve(REPLICAS / "asiaplus") as server:
        crawled = scrapy("crawl", "asiaplus", "-a", "limit=1", "-a", "sources=feeds",
                         "-a", f"base_url=http://127.0.0.1:{server.server_port}", *settings,
                         data_dir=Path("store"), cwd=project / "sub", PYTHONPATH=str(ROOT))
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    shown = scrapy("articles", data_dir=Path("store"), cwd=project, PYTHONPATH=str(ROOT))
    assert shown.stdout.startswith(f"1 articles in embedded store {project / 'store' / 'news.db'}\n"), shown.stderr
    assert not (project / "sub" / "store").exists()
    absolute = scrapy("articles", data_dir=tmp_path / "elsewhere", cwd=project / "sub", PYTHONPATH=str(ROOT))
    assert absolute.stderr.startswith(f"There is no embedded store {tmp_path / 'elsewhere' / 'news.db'}: ")


@pytest.mark.parametrize("command", [["report", "--json"], ["list"]])
def test_output_cut_short_by_the_reader_ends_quietly(tmp_path: Path, command: list[str]) -> None:
    """``scrapy report --json | head -1``: the reader closes the pipe before the command writes; the
    command stops without a traceback (here the pipe is closed before anything is written, every time)."""
    ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(tmp_path))).close()  # an empty store
    process = subprocess.Popen([sys.executable, "-m", "scrapy", *command], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                               env={"DATA_DIR": str(tmp_path), "PATH": ""})
    assert process.stdout is not None
    process.stdout.close()
    _, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr and "Exception ignored" not in stderr, stderr
    assert stderr == ""


def test_a_site_without_browser_pages_never_starts_playwright(tmp_path: Path) -> None:
    settings = [item for setting in FAST for item in ("-s", setting)]
    with serve(REPLICAS / "asiaplus") as server:
        result = scrapy("crawl", "asiaplus", "-a", "limit=1", "-a", "sources=feeds",
                        "-a", f"base_url=http://127.0.0.1:{server.server_port}", *settings, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Starting download handler" not in result.stderr  # scrapy-playwright's line as it starts Playwright
    assert "'playwright/" not in result.stderr


def test_a_wrong_chromium_path_is_one_error_naming_the_setting(tmp_path: Path) -> None:
    settings = [item for setting in [*FAST, f"CHROMIUM_PATH={tmp_path / 'chromium'}"] for item in ("-s", setting)]
    with serve(REPLICAS / "kazinform") as server:
        result = scrapy("crawl", "kazinform", "-a", f"base_url=http://127.0.0.1:{server.server_port}", *settings,
                        data_dir=tmp_path)
    log = result.stderr
    assert result.returncode == 1, log[-3000:]  # nothing could be rendered: the run failed
    assert "Traceback" not in log
    said = [line for line in log.splitlines() if "CHROMIUM_PATH=" in line]  # not the overridden settings' line
    assert len(said) == 1 and " ERROR: " in said[0], log[-3000:]
    assert f"CHROMIUM_PATH={tmp_path / 'chromium'} does not exist; set CHROMIUM_PATH to the Chromium binary" in said[0]
    assert "'browser/unavailable': 1" in log and "'download/failed/browser_unavailable'" in log


def test_good_setting_values_in_any_accepted_form_are_taken(tmp_path: Path) -> None:
    ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(tmp_path))).close()  # an empty store
    result = scrapy("report", "-s", "DOWNLOAD_TIMEOUT=2.5", "-s", "STORAGE_ENABLED=True", "-s", "RETRY_TIMES=0",
                    "-s", "MONGO_DATABASE=news", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("command", [["articles"], ["crawl", "asiaplus"]])
def test_a_login_the_server_answers_strangely_is_one_line(tmp_path: Path, command: list[str]) -> None:
    """A user and password against nx-27017, which speaks no SCRAM: pymongo's login step raised KeyError('payload'),
    a 69-line traceback (a crawl's also an AssertionError and a task never retrieved)."""
    (tmp_path / "nx").mkdir()
    port = free_port()
    nx = start_nx27017(tmp_path / "nx", port)
    try:
        result = scrapy(*command, data_dir=tmp_path, MONGO_URI=f"mongodb://reader:s3cr3t@127.0.0.1:{port}/",
                        STORAGE_TIMEOUT_SECONDS="3")
    finally:
        kill(nx)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "s3cr3t" not in result.stderr + result.stdout, result.stderr[-3000:]
    assert "answered the login with what the driver cannot read" in result.stderr, result.stderr[-3000:]
