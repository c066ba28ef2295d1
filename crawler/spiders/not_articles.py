"""Pages served with 200 at an article's URL that are no article: an error page ("Страница не найдена",
"404"), a login or registration form, an access, cookie-consent or bot-check wall (Cloudflare's "Just a
moment...", DDoS-Guard). Such a page is told by a title that is only such a page's name (a part of it between
separators, the site's name aside), over a body too short to be an article's: "Ошибка 404: страница не найдена"
is one, "Вход Кыргызстана в ЕАЭС" is not, nor is a long article titled "Страница не найдена"."""

from __future__ import annotations

import re

MAX_BODY_CHARS = 1_000  # an error page or a wall says its one sentence; the shortest news items run to 200-400
_TITLE_CHARS = 300  # the part of a title read (a headline can be megabytes)

_ERROR = (
    r"(?:(?:ошибка|error|қате|ката|xato|хато|хатогӣ|ýalňyşlyk)\s*)?(?:40[034]|410|50[0-3])(?:\s*(?:ошибка|error))?"
    r"|(?:ошибка|error)(?:\s*40[0-9])?"
    r"|(?:(?:the\s+)?(?:requested\s+)?page|страница|запрашиваемая\s+страница)\s+(?:was\s+)?"
    r"(?:not\s+found|не\s+найдена|не\s+существует|does\s+not\s+exist|удалена)"
    r"|not\s+found|page\s+not\s+found|nothing\s+found|ничего\s+не\s+найдено|oops.*"
    r"|(?:бет|парақ|барак)\s+табылмады|(?:бет|барак)\s+табылган\s+жок|sahifa\s+topilmadi|[сc]а[ҳх]ифа\s+топилмади"
    r"|саҳифа\s+(?:ёфт|пайдо)\s+нашуд|sahypa\s+tapylmady"
)
_LOGIN = (
    r"(?:вход|войти|авторизация|регистрация|личный\s+кабинет)(?:\s+(?:на\s+сайт|в\s+(?:личный\s+)?кабинет|"
    r"в\s+аккаунт|на\s+портал))?"
    r"|(?:log\s*in|sign\s*in|sign\s*up|register|my\s+account)(?:\s+to\s+\w+)?"
    r"|kirish|кириш|кирүү|кіру|ворид\s+шудан|giriş|hasaba\s+giriş"
)
_WALL = (
    r"just\s+a\s+moment.*|attention\s+required.*|checking\s+your\s+browser.*|ddos-guard|ddos\s+protection.*"
    r"|access\s+denied|доступ\s+(?:запрещ[её]н|ограничен|закрыт)|forbidden|403\s+forbidden"
    r"|before\s+you\s+continue.*|прежде\s+чем\s+продолжить.*|(?:cookie|cookies)\s+(?:consent|settings|policy)"
    r"|согласие\s+на\s+(?:использование|обработку).*|captcha|are\s+you\s+(?:a\s+)?(?:human|robot)\??"
)
_KINDS = (("error_page", re.compile(_ERROR)), ("login_page", re.compile(_LOGIN)), ("wall", re.compile(_WALL)))
_SEPARATORS = re.compile(r"\s*[|:—–·•«»\"'!.…()\[\]]\s*|\s+-\s+")


def _parts(title: str) -> list[str]:
    """The title's parts between separators, lower case, their spaces made single."""
    return [" ".join(part.split()) for part in _SEPARATORS.split(title[:_TITLE_CHARS].lower()) if part.strip()]


def not_article(title: str | None, paragraphs: list[str]) -> str | None:
    """``error_page``, ``login_page`` or ``wall`` for a page that is one (its title names it, its body is short),
    else None."""
    if not title or sum(map(len, paragraphs)) > MAX_BODY_CHARS:
        return None
    parts = _parts(title)
    for kind, pattern in _KINDS:
        if any(pattern.fullmatch(part) for part in parts):
            return kind
    return None
