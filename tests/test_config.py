"""Site configs, spider arguments, environment helpers and component configs."""

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.exceptions import UsageError
from scrapy.settings import Settings

from crawler.cli import coherent_warn_size
from crawler.env import EnvError, env_bool, env_float, env_int, env_str
from crawler.sites import SiteConfigError, load_site, load_site_file, site_names
from crawler.spiders.args import SpiderArgs, SpiderArgumentError
from crawler.storage.config import StorageConfig
from crawler.storage.store import mask_uri
from crawler.validation import ValidationConfig
from tests.crawling import ROOT

MINIMAL = """
name = "example"
domains = ["example.tj"]
article_url = '^https://example\\.tj/news/\\d+'
[[editions]]
language = "ru"
timezone = "Asia/Dushanbe"
home = "https://example.tj/"
feeds = ["https://example.tj/feed/"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_sites_load() -> None:
    assert "asiaplus" in site_names()
    site = load_site("asiaplus")
    assert {e.language for e in site.editions} == {"ru", "en", "tg"}
    assert site.is_article_url("https://asiaplus.news/en/2022/10/19/tajik-officials-meet/")
    assert not site.is_article_url("https://asiaplus.news/en/category/politics/")
    assert not site.is_article_url("https://asiaplus.news/en/author/asia-plus/")
    assert site.edition_for("https://asiaplus.news/en/2022/10/19/x/").language == "en"
    assert site.edition_for("https://asiaplus.news/2025/03/14/x/").language == "ru"


def test_minimal_config_loads(tmp_path: Path) -> None:
    site = load_site_file(write(tmp_path, MINIMAL))
    assert site.editions[0].feeds == ("https://example.tj/feed/",)
    assert (site.needs_browser, site.robots_sitemaps, site.politeness.concurrency) == (False, True, 2)


def test_full_config_loads(tmp_path: Path) -> None:
    extra = 'name = "example"\nneeds_browser = true\npoliteness = {concurrency = 1, delay = 2}'
    text = MINIMAL.replace('name = "example"', extra)
    text = text.replace("feeds =", 'archive = "https://example.tj/{date:%Y/%m/%d}/"\nfeed_pages = 5\n'
                        'wp_api = "https://example.tj/wp-json/wp/v2/posts"\nfeeds =')
    site = load_site_file(write(tmp_path, text))
    edition = site.editions[0]
    assert edition.archive and edition.archive.format(date=datetime(2025, 3, 4)) == "https://example.tj/2025/03/04/"
    assert (edition.feed_pages, edition.wp_api) == (5, "https://example.tj/wp-json/wp/v2/posts")
    assert site.needs_browser and site.politeness.delay == 2.0


@pytest.mark.parametrize(("change", "message"), [
    (("feeds =", "feedz ="), "unknown key"),
    (('timezone = "Asia/Dushanbe"', 'timezone = "Asia/Dushanbeh"'), "unknown time zone"),
    (("'^https://example\\.tj/news/\\d+'", "'(unclosed'"), "not a valid regex"),
    (('"https://example.tj/feed/"', '"https://other.tj/feed/"'), "not an http"),
    (('name = "example"', ""), "missing key"),
    (('domains = ["example.tj"]', 'domains = "example.tj"'), "list of strings"),
    (("[[editions]]", "[editions.x]"), "array of tables"),
    (('language = "ru"', 'language = "russian"'), "ISO 639-1"),
    (("feeds =", 'archive = "https://example.tj/archive/"\nfeeds ='), "date:"),
    (("feeds =", 'archive = "https://example.tj/{date:%Y}/{nope}/"\nfeeds ='), "bad template"),
    (("feeds =", "feed_pages = 0\nfeeds ="), "integer from 1 to 100"),
    (("feeds =", 'wp_api = "https://elsewhere.tj/wp-json/wp/v2/posts"\nfeeds ='), "not an http"),
    (('name = "example"', 'name = "example"\nneeds_browser = "yes"'), "true or false"),
    (('name = "example"', 'name = "example"\npoliteness = {concurrency = 9}'), "integer from 1 to 4"),
    (('name = "example"', 'name = "example"\npoliteness = {delay = -1}'), "seconds from 0 to 60"),
    # Wrong types and forms an operator's hand-written config may carry: each names the file and the key
    # (before, a list as the name was taken and failed at the lease as a database error; an int as the
    # home URL or time zone was a traceback; a bad port failed only at the first fetch).
    (('name = "example"', 'name = ["example"]'), r"site\.toml: name must be a string"),
    (('name = "example"', 'name = "ex/../ample"'), r"site\.toml: name: .* is not a site name"),
    (('name = "example"', 'name = ""'), "is not a site name"),
    (('name = "example"', 'name = "example"\ntitle = 5'), r"site\.toml: title must be a string"),
    (('name = "example"', 'name = "example"\ncountry = 5'), r"site\.toml: country must be a string"),
    (('home = "https://example.tj/"', "home = 5"), r"site\.toml: editions\[0\]\.home must be a string"),
    (('timezone = "Asia/Dushanbe"', "timezone = 5"), r"editions\[0\]\.timezone must be a string$"),
    (("feeds =", "wp_api = 5\nfeeds ="), r"editions\[0\]\.wp_api must be a string"),
    (('"https://example.tj/feed/"', '"https://example.tj:99999/feed/"'), r"editions\[0\]\.feeds: .* bad port"),
    (('name = "example"', 'name = "example"\nplatform = "wordpres"'), r"site\.toml: platform: no platform named"),
    (('name = "example"', 'name = "example"\nmonitors = {stale_hours = nan}'), "non-negative number"),
    # inf (or 1e309) was taken: every run record then held it, and the embedded store refused it as no JSON
    (('name = "example"', 'name = "example"\nmonitors = {max_error_rate = inf}'), "finite non-negative number"),
    (('name = "example"', 'name = "example"\nmonitors = {stale_hours = 1e309}'), "finite non-negative number"),
])
def test_config_errors_name_the_problem(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(SiteConfigError, match=message):
        load_site_file(write(tmp_path, MINIMAL.replace(*change)))


def test_unknown_site_lists_known_ones() -> None:
    with pytest.raises(SiteConfigError, match=r"known: .*asiaplus"):
        load_site("nosuchsite")


def test_spider_args() -> None:
    args = SpiderArgs.parse("http://127.0.0.1:8080/", "2025-01-31", "5")
    assert args == SpiderArgs("http://127.0.0.1:8080", datetime(2025, 1, 31, tzinfo=UTC), 5)
    assert SpiderArgs.parse(sources="feeds, api").sources == {"feeds", "api"}
    assert SpiderArgs.parse() == SpiderArgs()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"base_url": "127.0.0.1:8080"}, "base_url"),
    ({"since": "31.01.2025"}, "YYYY-MM-DD"),
    ({"limit": "ten"}, "positive integer"),
    ({"limit": "0"}, "positive integer"),
    ({"sources": "feeds,rss"}, "subset of"),
])
def test_bad_spider_args(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(SpiderArgumentError, match=message):
        SpiderArgs.parse(**kwargs)


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("yes", True), ("off", False), ("", True)])
def test_env_bool(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("X_FLAG", value)
    assert env_bool("X_FLAG", True) is expected


def test_env_typed_helpers_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_NUM", "abc")
    with pytest.raises(EnvError, match="X_NUM must be an integer"):
        env_int("X_NUM", 1)
    with pytest.raises(EnvError, match="X_NUM must be a number"):
        env_float("X_NUM", 1.0)
    with pytest.raises(EnvError, match="X_NUM must be a boolean"):
        env_bool("X_NUM", True)
    monkeypatch.setenv("X_NUM", "-3")
    with pytest.raises(EnvError, match=">= 0"):
        env_int("X_NUM", 1, minimum=0)
    monkeypatch.delenv("X_NUM")
    assert env_str("X_NUM", "d") == "d"


@pytest.mark.parametrize(("uri", "expected"), [
    ("mongodb://user:s3cret@db:27017/news", "mongodb://user:***@db:27017/news"),
    ("mongodb+srv://u:p%40ss@cluster0.example.net/?retryWrites=true", "mongodb+srv://u:***@cluster0.example.net/?retryWrites=true"),
    ("mongodb://db:27017", "mongodb://db:27017"),
    ("error talking to mongodb://a:b@h1,h2/x", "error talking to mongodb://a:***@h1,h2/x"),
])
def test_mask_uri(uri: str, expected: str) -> None:
    assert mask_uri(uri) == expected


def test_storage_config_from_settings() -> None:
    config = StorageConfig.from_settings(Settings({"MONGO_URI": "mongodb://u:pw@h/", "MONGO_DATABASE": "n2",
                                                   "STORAGE_BATCH_SIZE": 7, "DATA_DIR": "/tmp/x"}))
    assert (config.target.uri, config.target.database, config.batch_size) == ("mongodb://u:pw@h/", "n2", 7)
    assert config.target.describe() == "mongodb://u:***@h/"
    embedded = StorageConfig.from_settings(Settings({"DATA_DIR": "/tmp/x"}))
    assert embedded.target.describe() == "embedded store /tmp/x/news.db"
    with pytest.raises(ValueError, match="STORAGE_BATCH_SIZE"):
        StorageConfig.from_settings(Settings({"STORAGE_BATCH_SIZE": 0}))


def test_validation_config_date_problems() -> None:
    config = ValidationConfig(min_year=1991, future_skew=timedelta(hours=24))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert config.date_problem(datetime(1970, 1, 1, tzinfo=UTC), now) == "too_old"
    assert config.date_problem(datetime(2026, 1, 3, tzinfo=UTC), now) == "future"
    assert config.date_problem(datetime(2025, 12, 31), now) == "naive"
    assert config.date_problem(datetime(2025, 12, 31, tzinfo=UTC), now) is None
    assert config.date_problem(None, now) is None


def project_setting(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``scrapy settings --get name`` with the project's settings module read under ``env``."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DOWNLOAD_")} | env
    return subprocess.run([sys.executable, "-m", "scrapy", "settings", "--get", name], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, check=False)


@pytest.mark.e2e
@pytest.mark.parametrize(("env", "expected"), [
    ({}, "2097152"),  # a quarter of the 8 MiB maximum: Scrapy's own 32 MiB was over it and never warned
    ({"DOWNLOAD_MAXSIZE": "1048576"}, "262144"),  # a deployment's maximum moves it
    ({"DOWNLOAD_WARNSIZE": "0"}, "0"),  # off
    ({"DOWNLOAD_WARNSIZE": "9000000"}, "DOWNLOAD_WARNSIZE must be below DOWNLOAD_MAXSIZE (8388608), got 9000000"),
])
def test_download_warnsize_is_below_the_maximum(env: dict[str, str], expected: str) -> None:
    result = project_setting("DOWNLOAD_WARNSIZE", env)
    assert expected in (result.stdout if result.returncode == 0 else result.stderr), result


@pytest.mark.e2e
@pytest.mark.parametrize(("name", "value", "shown"), [
    ("MONGO_URI", "mongodb://reader:s3cr3tpw@db.internal:27017/", "mongodb://reader:***@db.internal:27017/"),
    ("REDIS_URL", "redis://:s3cr3tpw@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
    ("MONITOR_WEBHOOK_URL", "https://hooks.example/T0/s3cr3tpw", "***"),
])
def test_scrapy_settings_masks_credentials(name: str, value: str, shown: str) -> None:
    """``scrapy settings --get MONGO_URI`` printed the password in clear."""
    result = project_setting(name, {name: value})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == shown
    assert "s3cr3tpw" not in result.stdout + result.stderr


@pytest.mark.parametrize(("given", "expected"), [
    ({"DOWNLOAD_MAXSIZE": "1048576"}, 262144),  # -s moves the maximum: the warning size follows
    ({"DOWNLOAD_MAXSIZE": "1048576", "DOWNLOAD_WARNSIZE": "1000"}, 1000),
    ({"DOWNLOAD_WARNSIZE": "1048576"}, 1048576),
    ({"DOWNLOAD_WARNSIZE": "8388608"}, "DOWNLOAD_WARNSIZE must be below DOWNLOAD_MAXSIZE (8388608)"),
    ({}, 2097152),
])
def test_download_warnsize_from_the_command_line(given: dict[str, str], expected: int | str) -> None:
    settings = Settings({"DOWNLOAD_MAXSIZE": 8388608, "DOWNLOAD_WARNSIZE": 2097152}, priority="project")
    settings.setdict(given, priority="cmdline")
    if isinstance(expected, str):
        with pytest.raises(UsageError, match=re.escape(expected)):
            coherent_warn_size(settings)
    else:
        coherent_warn_size(settings)
        assert settings.getint("DOWNLOAD_WARNSIZE") == expected


@pytest.mark.e2e
@pytest.mark.parametrize(("maximum", "expected"), [("1048576", "262144"), ("33554432", "8388608")])
def test_a_deployment_copied_from_env_example_moves_its_maximum(maximum: str, expected: str) -> None:
    # The example's DOWNLOAD_* settings, the maximum changed as a deployment changes it: the warning size follows it
    # (a 2 MiB warning size set in the example exited with status 2 below it, and stayed 2 MiB above it).
    example = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")
    env = dict(re.findall(r"^(DOWNLOAD_[A-Z_]+)=(.*)$", example, flags=re.MULTILINE)) | {"DOWNLOAD_MAXSIZE": maximum}
    result = project_setting("DOWNLOAD_WARNSIZE", env)
    assert (result.returncode, result.stdout.strip()) == (0, expected), result
