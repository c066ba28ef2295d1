"""Pages served with 200 at an article's URL that are no article: an error page ("Страница не найдена",
"404"), a login or registration form, an access, cookie-consent or bot-check wall (Cloudflare's "Just a
moment...", DDoS-Guard). Such a page is told by a title that is only such a page's name (every part of it between
separators names one, but a site's name a bar, dash or bracket sets off), over a body too short to be an article's:
"Ошибка 404: страница не найдена" and "Страница не найдена - Новости Кыргызстана" are ones; "Вход Кыргызстана в
ЕАЭС", "Страница не найдена — так назвали выставку" and "Ошибка 404: как потеряли данные" are headlines, as is a
long article titled "Страница не найдена"."""

from __future__ import annotations

import re

MAX_BODY_CHARS = 1_000  # an error page or a wall says its one sentence; the shortest news items run to 200-400
_TITLE_CHARS = 300  # the part of a title read (a headline can be megabytes)

_ERROR = (
    r"(?:(?:ошибка|error|қате|ката|xato|хато|хатогӣ|ýalňyşlyk)\s*)?(?:40[034]|410|50[0-3])(?:\s*(?:ошибка|error))?"
    r"|(?:ошибка|error)(?:\s*40[0-9])?"
    r"|(?:(?:the\s+)?(?:requested\s+)?page|страница|запрашиваемая\s+страница)\s+(?:was\s+)?"
    r"(?:not\s+found|не\s+найдена|не\s+существует|does\s+not\s+exist|удалена)"
    r"|(?:40[04]\s+)?not\s+found|410\s+gone|50[0-3]\s+(?:internal\s+server\s+error|bad\s+gateway|service\s+unavailable)"
    r"|page\s+not\s+found|nothing\s+found|ничего\s+не\s+найдено"
    r"|oops|(?:sorry,?\s+)?(?:that|this|the)\s+page\s+(?:can[’']?t|cannot|could\s+not)\s+be\s+found"
    r"|(?:бет|парақ|барак)\s+табылмады|(?:бет|барак)\s+табылган\s+жок|sahifa\s+topilmadi|[сc]а[ҳх]ифа\s+топилмади"
    r"|саҳифа\s+(?:ёфт|пайдо)\s+нашуд|sahypa\s+tapylmady"
    # a maintenance page: "Сайт на техническом обслуживании", "Ведутся технические работы", "Under maintenance"
    r"|(?:сайт\s+)?(?:на\s+)?техническо[ем]\s+обслуживани[еи]|(?:ведутся\s+)?технические\s+работы"
    r"|сайт\s+временно\s+недоступен|(?:the\s+)?(?:site|website)\s+is\s+(?:under|down\s+for)\s+maintenance"
    r"|under\s+maintenance|(?:scheduled\s+)?maintenance(?:\s+mode)?|(?:temporarily|service)\s+unavailable"
    r"|texnik\s+ishlar(?:\s+olib\s+borilmoqda)?|техник\s+ишлар|техникалық\s+жұмыстар|техникалык\s+иштер"
    r"|корҳои\s+техникӣ|tehniki\s+işler"
)
_LOGIN = (
    r"(?:вход|войти|авторизация|регистрация|личный\s+кабинет)(?:\s+(?:на\s+сайт|в\s+(?:личный\s+)?кабинет|"
    r"в\s+аккаунт|на\s+портал))?"
    r"|(?:log\s*in|sign\s*in|sign\s*up|register|my\s+account)(?:\s+to\s+\w+)?"
    r"|kirish|кириш|кирүү|кіру|ворид\s+шудан|giriş|hasaba\s+giriş"
)
# A wall's name is the whole part: "Прежде чем продолжить реформу, ..." and "Согласие на обработку данных больше не
# нужно" are headlines.
_WALL = (
    r"just\s+a\s+moment|attention\s+required|checking\s+your\s+browser(?:\s+before\s+accessing\s+\S+)?"
    r"|ddos-guard|ddos\s+protection(?:\s+by\s+\S+)?"
    r"|access\s+denied|доступ\s+(?:запрещ[её]н|ограничен|закрыт)|forbidden|403\s+forbidden"
    r"|before\s+you\s+continue(?:\s+to\s+\S+)?|прежде\s+чем\s+продолжить|(?:cookie|cookies)\s+(?:consent|settings|policy)"
    r"|согласие\s+на\s+(?:использование|обработку)\s+(?:файлов\s+)?(?:cookie|cookies|персональных\s+данных)"
    r"|captcha|are\s+you\s+(?:a\s+)?(?:human|robot)\??"
)
_KINDS = (("error_page", re.compile(_ERROR)), ("login_page", re.compile(_LOGIN)), ("wall", re.compile(_WALL)))
# Between a page's name and the rest: a bar, dash, bullet, colon, "!", brackets, quotes, a full stop or an ellipsis
# (not an apostrophe inside a word, "can't", "ta'lim", nor the dot of a domain, "Kun.uz").
_SEPARATORS = re.compile(r"(\s*[|:—–·•«»\"“”„!()\[\]]\s*|\.+(?:\s+|$)|…\s*|\s+-\s+|(?<!\w)'|'(?!\w))")
_NAME_SETTERS = frozenset("|—–·•-()[]")  # the separators that set a site's name off a page's name
_NAME_WORDS = 4  # "Times of Central Asia", "Новости Кыргызстана", "Cloudflare", "Kun.uz"


def _parts(title: str) -> list[tuple[str, bool]]:
    """The title's parts between separators, their spaces made single, each with whether a bar, dash or bracket
    is next to it; of a title past :data:`_TITLE_CHARS`, the whole parts before the cut."""
    pieces = _SEPARATORS.split(title[:_TITLE_CHARS])
    if len(title) > _TITLE_CHARS:
        pieces = pieces[:-1]
    parts = []
    for at in range(0, len(pieces), 2):
        text = " ".join(pieces[at].split())
        if text:
            beside = (pieces[at + step].strip()[:1] for step in (-1, 1) if 0 <= at + step < len(pieces))
            parts.append((text, any(sep in _NAME_SETTERS for sep in beside if sep)))
    return parts


def _kind(part: str) -> str | None:
    """What kind of page ``part`` names, if it names one."""
    folded = part.lower()
    return next((kind for kind, pattern in _KINDS if pattern.fullmatch(folded)), None)


def _is_site_name(part: str) -> bool:
    """Whether ``part`` can be a site's name: a few words, each but the short ones capitalised ("Times of Central
    Asia", "Новости Кыргызстана"), or a domain alone ("kun.uz"); "так назвали выставку" and "ЦИК начал приём документов"
    are a headline's."""
    words = part.split()
    return len(words) <= _NAME_WORDS and (all(word[:1].isupper() or len(word) < 4 for word in words)
                                          or (len(words) == 1 and "." in part.strip(".")))


def not_article(title: str | None, paragraphs: list[str]) -> str | None:
    """``error_page``, ``login_page`` or ``wall`` for a page that is one (its title names it, its body is short),
    else None."""
    if not title or sum(map(len, paragraphs)) > MAX_BODY_CHARS:
        return None
    parts = _parts(title)
    kinds = [_kind(text) for text, _ in parts]
    named = next((kind for kind, _ in _KINDS if kind in kinds), None)
    if named is None:
        return None
    # any other part is a headline's words, unless a bar, dash or bracket sets it off as a site's name
    headline = any(kind is None and not (beside and _is_site_name(text))
                   for kind, (text, beside) in zip(kinds, parts, strict=True))
    return None if headline else named
