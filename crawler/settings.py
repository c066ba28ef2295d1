"""Scrapy settings for the news crawler.

Every value that differs between deployments comes from an environment
variable of the same name (see ``deploy/env.example``); the rest are fixed
here. Settings passed with ``-s NAME=value`` still win over both.
"""

import os
from dataclasses import fields
from pathlib import Path

from scrapy.settings import default_settings as _scrapy_defaults

from crawler import blas, env
from crawler.discovery.limits import DiscoveryLimits
from crawler.identity import CONTACT_URL, USER_AGENT  # noqa: F401  (Scrapy reads them from this module)
from crawler.limits import RecordLimits, setting_name
from crawler.queue_limits import MAX_DISK_POP_FAILURES
from crawler.revisits import DEFAULT_SCHEDULE, parse_schedule
from crawler.rules import ValidationConfig

# A bad value in the environment ends the command with one line naming the variable (exit 2).
env_bool, env_float, env_int, env_str = (env.or_exit(env.env_bool), env.or_exit(env.env_float),
                                         env.or_exit(env.env_int), env.or_exit(env.env_str))

blas.one_thread(os.environ)  # before any command imports numpy; the extraction workers inherit it

BOT_NAME = "centralasia-news"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"
# Credentials (MONGO_URI's password, MONITOR_WEBHOOK_URL, ...) masked in every log record of the process.
ADDONS = {"crawler.secrets.SecretMasking": 0, "crawler.frontier.addon.SharedFrontier": 10}

# Politeness: a real User-Agent with a contact address, robots.txt, AutoThrottle.
# USER_AGENT and CONTACT_URL come from crawler/identity.py (imported above).
ROBOTSTXT_OBEY = env_bool("ROBOTSTXT_OBEY", True)
CONCURRENT_REQUESTS = env_int("CONCURRENT_REQUESTS", 16, minimum=1)
CONCURRENT_REQUESTS_PER_DOMAIN = env_int("CONCURRENT_REQUESTS_PER_DOMAIN", 2, minimum=1)
# Items (and requests) of one response handled at once. Scrapy starts this many tasks for every response
# whatever it yields (an article page yields one item): its default of 100 cost 2-3 ms of CPU a page.
CONCURRENT_ITEMS = env_int("CONCURRENT_ITEMS", 8, minimum=1)
DOWNLOAD_DELAY = env_float("DOWNLOAD_DELAY", 0.5, minimum=0)
AUTOTHROTTLE_ENABLED = env_bool("AUTOTHROTTLE_ENABLED", True)
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = env_int("DOWNLOAD_TIMEOUT", 30, minimum=1)
DOWNLOAD_MAXSIZE = env_int("DOWNLOAD_MAXSIZE", 8 * 1024 * 1024, minimum=1024)
# A response's status and header lines, which DOWNLOAD_MAXSIZE does not bound (crawler.header_limit): Chromium's
# limit, 256 KiB. Past it the download fails as bad_response.
DOWNLOAD_MAX_HEADER_BYTES = env_int("DOWNLOAD_MAX_HEADER_BYTES", 256 * 1024, minimum=16 * 1024)
# Scrapy warns of a response over DOWNLOAD_WARNSIZE: its own 32 MiB default was above DOWNLOAD_MAXSIZE, so it
# never warned. A quarter of the maximum (0: no warning); `-s DOWNLOAD_MAXSIZE=` moves it too (crawler.cli).
DOWNLOAD_WARNSIZE = env.or_exit(env.warn_size)(DOWNLOAD_MAXSIZE)
RETRY_TIMES = env_int("RETRY_TIMES", 3, minimum=0)
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no listening control port on crawl hosts

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
# -O/-o files hold records shaped as `scrapy export` writes them (crawler.export.feed).
FEED_EXPORTERS = {
    "json": "crawler.export.feed.JsonArticleExporter",
    "jsonlines": "crawler.export.feed.JsonLinesArticleExporter",
    "jsonl": "crawler.export.feed.JsonLinesArticleExporter",
    "jl": "crawler.export.feed.JsonLinesArticleExporter",
    "csv": "crawler.export.feed.CsvArticleExporter",
}
LOG_LEVEL = env_str("LOG_LEVEL", "INFO", check=env.log_level)

# Pages that need a browser go through scrapy-playwright and Chromium (Debian's
# package by default), under the egress filter; other requests keep Scrapy's own HTTP handler,
# and scrapy-playwright is imported only once a page is to be rendered (crawler.download_handler).
BROWSER_ENABLED = env_bool("BROWSER_ENABLED", True)
# An explicit CHROMIUM_PATH must be an executable (checked when a page is first rendered); unset,
# Debian's Chromium when installed, else Playwright's own.
CHROMIUM_PATH = env_str("CHROMIUM_PATH") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else "")
# Only http(s) is downloaded: Scrapy's file, data, ftp and s3 handlers are off, so a file:// or ftp:// URL past
# the egress filter (which refuses them: EgressFilterMiddleware) still reads no local file and opens no connection.
DOWNLOAD_HANDLERS: dict[str, str | None] = {"file": None, "data": None, "ftp": None, "s3": None}
if BROWSER_ENABLED:
    DOWNLOAD_HANDLERS |= {
        "http": "crawler.download_handler.DownloadHandler",
        "https": "crawler.download_handler.DownloadHandler",
    }
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "headless": True,
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             # Chromium's own calls home, which no flag of Chromium 150 switches off: the signed-out profile's
             # Google-account listing (accounts.google.com/ListAccounts, once its tokens load, then retried) and
             # the push-messaging check-in (android.clients.google.com/checkin). Sent to port 1, which Chromium
             # refuses to connect to (ERR_UNSAFE_PORT), they never open a connection, not even to the egress proxy.
             "--gaia-url=https://127.0.0.1:1/", "--gcm-checkin-url=https://127.0.0.1:1/",
             # Chromium 156 asks its component updater's server (update.googleapis.com, https then http) despite
             # --disable-component-update: its address goes to port 1 too.
             "--component-updater=url-source=https://127.0.0.1:1/",
             # WebRTC may not send UDP around the egress proxy
             "--webrtc-ip-handling-policy=disable_non_proxied_udp",
             # a page's script heap: a memory bomb crashes its tab in about a second instead of growing
             # the renderer by some 350 MB a second up to the navigation timeout
             f"--js-flags=--max-old-space-size={env_int('BROWSER_JS_HEAP_MB', 512, minimum=64)}"],
}
PLAYWRIGHT_ABORT_REQUEST = "crawler.browser.abort_heavy_resources"
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = env_int("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", 4, minimum=1)
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = env_int("DOWNLOAD_TIMEOUT", 30, minimum=1) * 1000

# Extraction runs in worker processes (0: in the crawl process, no budget); a page that takes
# longer than the budget is given up and its worker replaced.
EXTRACTION_WORKERS = env_int("EXTRACTION_WORKERS", 1, minimum=0)
EXTRACTION_TIME_BUDGET_SECONDS = env_float("EXTRACTION_TIME_BUDGET_SECONDS", 10.0, minimum=0.1)

# Incremental crawling: the store says which articles are known; known ones are
# fetched again only on the revisit schedule (steps after publication).
INCREMENTAL_ENABLED = env_bool("INCREMENTAL_ENABLED", True)
REVISIT_SCHEDULE = env_str("REVISIT_SCHEDULE", DEFAULT_SCHEDULE, check=parse_schedule)
# Feeds, sitemaps and listings are asked with the validators they had when last read (a 304 costs
# nothing more), and child sitemaps whose lastmod has not moved since are not asked at all.
DISCOVERY_CONDITIONAL_ENABLED = env_bool("DISCOVERY_CONDITIONAL_ENABLED", True)
# A source not read in full for this long is read in full again (a server answering 304 wrongly).
DISCOVERY_CONDITIONAL_MAX_AGE_HOURS = env_float("DISCOVERY_CONDITIONAL_MAX_AGE_HOURS", 24.0, minimum=0)
SPIDER_MIDDLEWARES = {"crawler.middlewares.incremental.IncrementalMiddleware": 800,
                      "crawler.middlewares.conditional.ConditionalDiscovery": 850,
                      "crawler.frontier.seeding.FrontierSeeding": 900}  # REDIS_URL: one worker seeds
# Discovery caps: sitemap documents per run, index levels below a configured/robots.txt
# sitemap, entries read per sitemap (the newest kept), items read per feed page (the first).
# Feed and listing pages: site config.
DISCOVERY_MAX_SITEMAPS = env_int("DISCOVERY_MAX_SITEMAPS", DiscoveryLimits.max_sitemaps, minimum=1)
DISCOVERY_MAX_SITEMAP_DEPTH = env_int("DISCOVERY_MAX_SITEMAP_DEPTH", DiscoveryLimits.max_sitemap_depth, minimum=0)
DISCOVERY_MAX_SITEMAP_ENTRIES = env_int("DISCOVERY_MAX_SITEMAP_ENTRIES", DiscoveryLimits.max_sitemap_entries,
                                        minimum=1)
DISCOVERY_MAX_FEED_ENTRIES = env_int("DISCOVERY_MAX_FEED_ENTRIES", DiscoveryLimits.max_feed_entries, minimum=1)
DISCOVERY_MAX_PAGE_LINKS = env_int("DISCOVERY_MAX_PAGE_LINKS", DiscoveryLimits.max_page_links, minimum=1)
# Requests queued at once that a new article may find: past it the run's discovery ends (as at -a limit); the next
# run goes on from the same sources.
DISCOVERY_MAX_QUEUED_ARTICLES = env_int("DISCOVERY_MAX_QUEUED_ARTICLES", DiscoveryLimits.max_queued_articles,
                                        minimum=1)
DOWNLOADER = "crawler.downloader.StoppingDownloader"  # a stop does not wait for requests not yet sent
SCHEDULER = "crawler.scheduler.DiscoveryLimitScheduler"  # drops queued discovery at -a limit or a full queue
# JOBDIR's queue: Scrapy's files, each open only while read or written (one per priority held a descriptor each).
SCHEDULER_DISK_QUEUE = "crawler.disk_queue.PickleLifoDiskQueue"
# JOBDIR queue pops failing this many times in a row (its files gone, descriptors never freed) end the crawl as failed:
# it never ended, its requests pending for ever.
SCHEDULER_DISK_POP_MAX_FAILURES = env_int("SCHEDULER_DISK_POP_MAX_FAILURES", MAX_DISK_POP_FAILURES, minimum=1)
# Scrapy's default queue, with an O(1) length: articles are queued by publication minute, about one
# priority each, and Scrapy's own scans every priority on each len() (quadratic in the queued articles).
SCHEDULER_PRIORITY_QUEUE = "crawler.pqueues.CountedDownloaderAwarePriorityQueue"
STATS_CLASS = "crawler.stats.StatsCollector"  # Scrapy's, without a Python __getattribute__ on every stat call
# Requests and redirects only to the site's hosts, never to private addresses (SSRF).
DOWNLOADER_MIDDLEWARES = {
    # With REDIS_URL: a request a middleware answers or refuses itself leaves the shared crawl's in-flight set too.
    "crawler.frontier.outcome.FrontierOutcomeMiddleware": 10,
    "crawler.middlewares.egress.EgressFilterMiddleware": 60,
    # Scrapy's, but discovery's own read of a host's robots.txt reuses the one fetched for its rules.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.SharedRobotsTxtMiddleware": 100,
    # Scrapy's, but a reused robots.txt is not counted as a second download.
    "scrapy.downloadermiddlewares.stats.DownloaderStats": None,
    "crawler.middlewares.robots.DownloadOnlyStats": 850,
    "crawler.middlewares.retry_after.RetryAfterMiddleware": 560,  # 429/503 wait as the server asks
    # A host that answered none of the last HOST_DOWN_AFTER attempts: its requests fail at once or wait for it.
    "crawler.middlewares.host_down.HostDownMiddleware": 555,
    "crawler.middlewares.redirect_loop.RedirectLoopMiddleware": 610,  # inside RedirectMiddleware (600)
    # Inside HttpCompressionMiddleware (590), nearer the downloader: more than two stacked codings are refused before
    # any is decoded.
    "crawler.middlewares.content_codings.ContentCodingsMiddleware": 595,
    # Outside it (the decoded response) and inside MetaRefreshMiddleware (580): a charset that decodes no text (zlib,
    # base64, idna) is read as if undeclared, before any reader.
    "crawler.middlewares.charset.UnusableCharsetMiddleware": 588,
    # A redirect's target is asked without the validators stored for the URL that redirected.
    "crawler.middlewares.redirect_validators.RedirectValidatorsMiddleware": 620,
    # Scrapy's, but a page whose <base href> or refresh URL names no URL is read, not failed.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.meta_refresh.MetaRefreshMiddleware": 580,
    # With REDIS_URL: a site's concurrency and delay across all workers; next to the downloader, so
    # the cluster slot is held only around the transfer (retries and redirects queue again).
    "crawler.frontier.politeness.ClusterPolitenessMiddleware": 950,
}
# With REDIS_URL (below) politeness holds for the cluster; a cluster slot lapses
# DOWNLOAD_TIMEOUT + this after a worker died holding it.
POLITENESS_CLUSTER_ENABLED = env_bool("POLITENESS_CLUSTER_ENABLED", True)
POLITENESS_TOKEN_MARGIN_SECONDS = env_float("POLITENESS_TOKEN_MARGIN_SECONDS", 30.0, minimum=0)
# Host names that resolve to private addresses are refused where the connection takes its address.
TWISTED_DNS_RESOLVER = "crawler.resolver.EgressResolver"
REDIRECT_MAX_TIMES = 5
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]  # 429 and 503 are RetryAfterMiddleware's
RETRY_AFTER_MAX_SECONDS = env_float("RETRY_AFTER_MAX_SECONDS", 120.0, minimum=0)
# A host that answered none of the last HOST_DOWN_AFTER attempts (0: never) is down: given up if it never
# answered in the run, else waited for (a probe every HOST_DOWN_PROBE_SECONDS) up to HOST_DOWN_GIVE_UP_SECONDS.
HOST_DOWN_AFTER = env_int("HOST_DOWN_AFTER", 4, minimum=0)
HOST_DOWN_PROBE_SECONDS = env_float("HOST_DOWN_PROBE_SECONDS", 30.0, minimum=0)
HOST_DOWN_GIVE_UP_SECONDS = env_float("HOST_DOWN_GIVE_UP_SECONDS", 300.0, minimum=0)
# One crawl per site across the hosts sharing the store (cron, manual and Scrapyd runs alike).
SITE_LOCK_ENABLED = env_bool("SITE_LOCK_ENABLED", True)
# The lock is a lease in the store, renewed every third of this; a dead host's lapses after it.
SITE_LEASE_SECONDS = env_float("SITE_LEASE_SECONDS", 300.0, minimum=1)
# One crawl, many workers: with REDIS_URL (redis://:PASSWORD@host:6379/0) every `scrapy crawl <site>`
# joins the site's shared crawl (crawler.frontier); unset, crawls are independent (and locked per site).
REDIS_URL = env_str("REDIS_URL", check=env.uri_scheme("REDIS_URL", ("redis://", "rediss://", "unix://")))
FRONTIER_ENABLED = env_bool("FRONTIER_ENABLED", True)  # 0: REDIS_URL shares politeness only
FRONTIER_IDLE_SECONDS = env_float("FRONTIER_IDLE_SECONDS", 10.0, minimum=0)
FRONTIER_WORKER_TIMEOUT = env_float("FRONTIER_WORKER_TIMEOUT", 15.0, minimum=1)
FRONTIER_SETTLE_SECONDS = env_float("FRONTIER_SETTLE_SECONDS", 30.0, minimum=0)
FRONTIER_KEY_TTL = env_float("FRONTIER_KEY_TTL", 3600.0, minimum=60)
FRONTIER_REDIS_WAIT_SECONDS = env_float("FRONTIER_REDIS_WAIT_SECONDS", 60.0, minimum=0)
EXTENSIONS = {
    "crawler.frontier.extension.Frontier": 90,
    "crawler.extensions.site_lock.SiteLock": 100,
    "crawler.extensions.gc_tuning.GcTuning": 200,
    "crawler.storage.component.Storage": 300,  # the crawl's one store, shared by pipeline, middleware, health
    "crawler.extensions.run_health.RunHealth": 400,
    "crawler.extensions.stats_file.StatsFile": 500,  # off unless STATS_FILE is set (crawlall's children)
    "crawler.extensions.progress.Progress": 510,  # PROGRESS_INTERVAL_SECONDS
}
# Scrapy 2.19's RemoteControl starts in every crawl: an HTTP server on loopback that runs any Python code sent
# with the token it writes under the user's state directory (for an MCP client). A deployed crawler wants no
# such door, nor aiohttp's import (a sixth of a second of every process's start): it leaves Scrapy's base list,
# as a None in EXTENSIONS would still import it (REMOTE_CONTROL_ENABLED above is off too).
EXTENSIONS_BASE = {path: order for path, order in _scrapy_defaults.EXTENSIONS_BASE.items()
                   if path != "scrapy.extensions.remote_control.RemoteControl"}
GC_TUNING_ENABLED = env_bool("GC_TUNING_ENABLED", True)
# The final stats as JSON in this file (empty: none); crawlall --processes sets it for each child with -s.
STATS_FILE = env_str("STATS_FILE")
# The stats so far into STATS_FILE.running this often (0: never): what a child killed mid-crawl had counted.
STATS_FILE_INTERVAL_SECONDS = env_float("STATS_FILE_INTERVAL_SECONDS", 5.0, minimum=0)

# Health monitors: every run judged, recorded (with storage on) and, when degraded/failed,
# POSTed to an optional webhook (thresholds per site config).
HEALTH_ENABLED = env_bool("HEALTH_ENABLED", True)
MONITOR_WEBHOOK_URL = env_str("MONITOR_WEBHOOK_URL")
# The webhook body: "json" (the raw fields and a `text` summary, which Slack and Mattermost show) or
# "text" (only {"text": ...}, for chat endpoints that refuse unknown fields, e.g. Google Chat).
MONITOR_ALERT_FORMAT = env_str("MONITOR_ALERT_FORMAT", "json")
# A run's record exists from its start (outcome "running"), rewritten with its stats this often (0: only at close).
RUN_RECORD_INTERVAL_SECONDS = env_float("RUN_RECORD_INTERVAL_SECONDS", 60.0, minimum=0)
# One progress line per site this often (0: none): articles stored, queued requests, rate, time left.
PROGRESS_INTERVAL_SECONDS = env_float("PROGRESS_INTERVAL_SECONDS", 60.0, minimum=0)

ITEM_PIPELINES = {
    "pipelines.cleaning.CleaningPipeline": 100,
    "pipelines.validation.ValidationPipeline": 200,
    "pipelines.storage.StoragePipeline": 900,
}

# Storage: MONGO_URI selects a MongoDB server; unset means the embedded
# file-backed store under DATA_DIR (no server needed).
MONGO_URI = env_str("MONGO_URI", check=env.uri_scheme("MONGO_URI", ("mongodb://", "mongodb+srv://")))
MONGO_DATABASE = env_str("MONGO_DATABASE", "news")
DATA_DIR = env_str("DATA_DIR", "data")
STORAGE_ENABLED = env_bool("STORAGE_ENABLED", True)
STORAGE_BATCH_SIZE = env_int("STORAGE_BATCH_SIZE", 100, minimum=1)
# ...or once its pages' HTML and text reach this many MB: what bounds a crawl's memory.
STORAGE_BATCH_MAX_MB = env_float("STORAGE_BATCH_MAX_MB", 8.0, minimum=0.1)
STORAGE_FLUSH_SECONDS = env_float("STORAGE_FLUSH_SECONDS", 5.0, minimum=0.1)
STORAGE_TIMEOUT_SECONDS = env_float("STORAGE_TIMEOUT_SECONDS", 10.0, minimum=0.5)
STORAGE_RETRIES = env_int("STORAGE_RETRIES", 5, minimum=0)
STORAGE_KEEP_RAW_HTML = env_bool("STORAGE_KEEP_RAW_HTML", True)
# Where articles go at close when neither the store nor DATA_DIR/unsaved/ can take them
# (a full disk); unset = the system temp directory. Best on another filesystem than DATA_DIR.
STORAGE_FALLBACK_DIR = env_str("STORAGE_FALLBACK_DIR")
# A revisit whose body is under this share of a stored body of at least this many characters is no revision.
STORAGE_SHRINK_RATIO = env_float("STORAGE_SHRINK_RATIO", 0.5, minimum=0, maximum=1)
STORAGE_SHRINK_MIN_CHARS = env_int("STORAGE_SHRINK_MIN_CHARS", 500, minimum=0)

# Caps on each field of a record (crawler/limits.py): CLEANING_MAX_TITLE_CHARS, CLEANING_MAX_BODY_CHARS, ...
globals().update({setting_name(cap.name): env_int(setting_name(cap.name), getattr(RecordLimits(), cap.name), minimum=1)
                  for cap in fields(RecordLimits)})

# Validation: dates outside [VALIDATION_MIN_YEAR, now + skew] are impossible.
VALIDATION_MIN_YEAR = env_int("VALIDATION_MIN_YEAR", ValidationConfig.min_year, minimum=1900)
VALIDATION_FUTURE_SKEW_HOURS = env_float("VALIDATION_FUTURE_SKEW_HOURS", ValidationConfig.future_skew_hours(),
                                         minimum=0)
