"""The report as one self-contained HTML page: inline CSS, charts as inline SVG drawn here, no script,
font or image from anywhere (a Content-Security-Policy forbids them), every stored string escaped."""

from __future__ import annotations

from datetime import datetime
from html import escape

from crawler.reporting import Report, RunRow, SiteHistory, freshness, grouped, human_duration

STATES = ("healthy", "degraded", "failed", "skipped", "running", "abandoned", "unknown")
COLOURS = {"healthy": "#2e9e4f", "degraded": "#e0a800", "failed": "#d64541", "skipped": "#9aa0a6",
           "running": "#3b7dd8", "abandoned": "#7a4fb5", "unknown": "#5f6368"}
LAST_RUNS = 50  # rows of the last-runs table
CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#202124;background:#fff}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:0 0 8px}
.meta{color:#5f6368;margin-bottom:16px}
section.site{display:flex;flex-wrap:wrap;gap:8px 24px;align-items:center;border:1px solid #dadce0;
border-radius:6px;padding:8px 12px;margin:8px 0}
section.site h2{width:130px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
section.idle{opacity:.6}
dl.figures{display:grid;grid-template-columns:repeat(4,auto);gap:2px 16px;margin:0;width:430px}
dl.figures dt{color:#5f6368;font-size:12px} dl.figures dd{margin:0;font-weight:600}
.charts{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-end}
.chart h3{font-size:12px;font-weight:normal;color:#5f6368;margin:0}
.axis{display:flex;justify-content:space-between;font-size:11px;color:#5f6368}
rect.bar{fill:#3b7dd8}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eee;vertical-align:top}
.state{display:inline-block;padding:0 6px;border-radius:3px;color:#fff}
.legend span{margin-right:12px}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def bar_chart(site: SiteHistory, report: Report, width: int = 280, height: int = 48) -> str:
    """Articles first stored per day: one ``rect.bar`` a day (zero-height on a day without any)."""
    top = max(site.per_day, default=0) or 1
    step = width / len(site.per_day)
    bars = []
    for i, (day, count) in enumerate(zip(report.days, site.per_day, strict=True)):
        h = round(count / top * (height - 2), 1)
        bars.append(f'<rect class="bar" x="{i * step + 0.5:.1f}" y="{height - h:.1f}" width="{max(step - 1, 1):.1f}" '
                    f'height="{h}"><title>{day.isoformat()}: {count} articles</title></rect>')
    return (f'<svg class="bars" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="articles per day"><line x1="0" y1="{height}" x2="{width}" y2="{height}" '
            f'stroke="#999"/>{"".join(bars)}</svg>')


def health_strip(site: SiteHistory, report: Report, width: int = 280, height: int = 24) -> str:
    """Each run as a coloured mark placed at its start time along the window."""
    start = datetime.combine(report.days[0], datetime.min.time(), report.now.tzinfo)
    span = (report.now - start).total_seconds() or 1
    marks = []
    for run in site.runs:
        x = 4 + (width - 8) * min(1.0, max(0.0, (run.started_at - start).total_seconds() / span))
        marks.append(f'<circle class="mark {_e(run.state)}" cx="{x:.1f}" cy="{height / 2}" r="4" '
                     f'fill="{COLOURS.get(run.state, COLOURS["unknown"])}"><title>{_e(_when(run.started_at))}: '
                     f'{_e(run.state)}</title></circle>')
    return (f'<svg class="health" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="run health"><line x1="0" y1="{height / 2}" x2="{width}" y2="{height / 2}" '
            f'stroke="#ddd"/>{"".join(marks)}</svg>')


def _figures(site: SiteHistory, report: Report) -> str:
    share = site.fallback_share
    figures = {
        "articles": site.articles,
        "runs": len(site.runs),
        "last run": site.runs[-1].state if site.runs else "-",
        "freshness": freshness(site, report.now),
        "publication to storage": human_duration(site.median_lag),
        "generic fallback": f"{share:.0%}" if share is not None else "-",
        "errors": site.errors,
        "retries": site.retries,
    }
    return '<dl class="figures">' + "".join(
        f'<div><dt>{_e(k)}</dt><dd class="{_e(k.replace(" ", "-"))}">{_e(v)}</dd></div>'
        for k, v in figures.items()) + "</dl>"


def site_section(site: SiteHistory, report: Report) -> str:
    idle = " idle" if not site.runs and not site.articles else ""
    axis = f'<div class="axis"><span>{report.days[0]:%d %b}</span><span>{report.days[-1]:%d %b}</span></div>'
    return (f'<section class="site{idle}" data-site="{_e(site.site)}"><h2 title="{_e(site.site)}">{_e(site.site)}</h2>'
            f'{_figures(site, report)}<div class="charts"><div class="chart"><h3>articles per day</h3>'
            f'{bar_chart(site, report)}{axis}</div><div class="chart"><h3>runs</h3>{health_strip(site, report)}'
            f'{axis}</div></div></section>')


def _state(state: str) -> str:
    return f'<span class="state" style="background:{COLOURS.get(state, COLOURS["unknown"])}">{_e(state)}</span>'


def runs_table(runs: list[RunRow]) -> str:
    rows = []
    for run in runs[:LAST_RUNS]:
        problems = "<br>".join(_e(p) for p in run.problems) or "-"
        rows.append(f'<tr class="run"><td>{_e(_when(run.started_at))}</td><td>{_e(run.site)}</td>'
                    f'<td>{_e(run.spider)}</td><td>{_e(run.job or "-")}</td><td>{_state(run.state)}</td>'
                    f'<td>{run.articles}</td><td>{run.errors}</td><td>{run.retries}</td><td>{problems}</td></tr>')
    head = "".join(f"<th>{h}</th>" for h in ("started (UTC)", "site", "spider", "job", "state", "articles",
                                              "errors", "retries", "problems"))
    return f'<table class="runs"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def render(report: Report) -> str:
    """The whole page."""
    counts = grouped(report.runs)
    legend = "".join(f"<span>{_state(s)} {len(counts.get(s, []))}</span>" for s in STATES if s != "unknown")
    active = sorted(report.sites, key=lambda site: not (site.runs or site.articles))  # sites with news first
    sections = "".join(site_section(site, report) for site in active)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>Crawl report</title><style>{CSS}</style></head><body>"
            f"<h1>Crawl report</h1><p class=\"meta\">{len(report.days)} days to {_e(_when(report.now))} UTC, "
            f"{len(report.sites)} sites, {len(report.runs)} runs</p><p class=\"legend\">{legend}</p>"
            f"{sections}<h2>Last runs</h2>{runs_table(report.runs)}</body></html>\n")
