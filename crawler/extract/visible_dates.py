"""Dates as news sites print them in visible text, in the region's languages.

``crawler.dates`` reads the machine-readable forms (ISO 8601, RFC 822, ``<time datetime>``);
this module reads what a reader sees in a byline, a listing or an article header:

* numeric dates: ``2025-03-14 10:15``, ``14.03.2025``, ``14/03/2025, 10:15``, ``10:15 / 14.03.2025``; day first,
  unless only the American month-first reading of a slashed date is a day (``09/25/2025``, ``2/24/2026``);
* month names in Russian, English, Tajik, Kyrgyz, Kazakh, Uzbek (Latin and Cyrillic) and Turkmen,
  with their case endings and ordinal days: ``14 марта 2025 г., 10:15``, ``March 14, 2025``,
  ``14 марти соли 2025``, ``2025-жылдын 14-марты``, ``2025 жылғы наурыздың 14-і``, ``2024-yil 15-mart``,
  ``15 март 2024``, ``2025-nji ýylyň 14-nji marty``, ``14.03.2025 ý.``;
* dates without a year (``14 марта, 10:15``): the most recent such day in the site's calendar
  that is not after ``now``;
* relative forms, anchored to ``now`` (the fetch time): ``2 часа назад``, ``5 minutes ago``,
  ``2 soat oldin``, ``2 саат мурун``, ``2 сағат бұрын``, ``2 соат пеш``, ``2 sagat öň``; and day words
  with an optional time, counted in the site's calendar: ``вчера, 18:20``, ``today 10:15``, ``kecha``,
  ``кечээ``, ``кеше``, ``дирӯз``, ``düýn``, ``позавчера`` (a day word alone means the start of that day);
* times before or after the date, separated from it by spaces, commas, dots, bars or slashes and
  an optional "в"/"at"/"soat"/"sagat"/"сағат"/"саат"/"соати" (``14.03.2025 в 10:15``,
  ``14 mart 2025, soat 10:15``, ``14:30, 14 наурыз 2025``), ``10:15 AM``/``PM``, and an explicit offset
  (``+05:00``, ``Z``, ``GMT+5``) that overrides the site's time zone.

Every word comes from one :class:`Language` table per language; the regular expressions are
built once from the union of the tables, so a language is added by adding a table. Matching is
case-insensitive, on NFC text in which the Uzbek apostrophes (' ‘ ’ ʻ ʼ) are one character and
dashes are hyphens. Dates that do not exist (31 February, 25:10) are rejected, never corrected.
Times without a date ("10:15"), weekdays, and months or years without a day ("Mart 2025",
"2025 жыл") are not dates here.

Pure: the standard library only, no Scrapy, no ``dateparser``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import NamedTuple, TypeVar

from crawler.extract.date_labels import deadline_after_date, deadline_before_date, published_before_date, update_label

__all__ = ["LANGUAGES", "Dateline", "Language", "find_dateline", "find_visible_date", "parse_visible_date"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class Language:
    """The words one language uses to print dates. Multi-word entries match any whitespace."""

    months: Mapping[str, int]  # every printed form (and abbreviation) -> month number
    month_suffixes: tuple[str, ...] = ()  # case endings glued to a month form: наурыз+да, март+ы
    ordinals: tuple[str, ...] = ()  # after a day or year and a hyphen: "14-nji", "14-і", "2025-nji"
    year_words: tuple[str, ...] = ()  # after the year: "2025 г.", "2025-жылдын", "2024-yil"
    year_prefixes: tuple[str, ...] = ()  # before the year: "14 марти соли 2025"
    days: Mapping[str, int] = field(default_factory=dict)  # "вчера" -> 1 day back
    units: Mapping[str, timedelta] = field(default_factory=dict)  # "часа" -> 1 hour
    ago: tuple[str, ...] = ()  # "назад", "ago"
    one: tuple[str, ...] = ()  # a number word meaning 1: "an hour ago"
    at: tuple[str, ...] = ()  # between a date and its time: "в", "at", "soat"
    month_first: bool = False  # "March 14" is a date even without a year


def _months(*rows: str) -> dict[str, int]:
    """Twelve rows of space-separated forms, January first."""
    if len(rows) != 12:
        raise ValueError(f"12 months expected, got {len(rows)}")
    return {form: number for number, row in enumerate(rows, 1) for form in row.split()}


def _units(
    *, seconds: str = "", minutes: str = "", hours: str = "", days: str = "", weeks: str = ""
) -> dict[str, timedelta]:
    """Space-separated unit words, by the unit they count."""
    sizes = ((seconds, timedelta(seconds=1)), (minutes, timedelta(minutes=1)), (hours, timedelta(hours=1)),
             (days, timedelta(days=1)), (weeks, timedelta(weeks=1)))
    return {word: size for words, size in sizes for word in words.split()}


_RUSSIAN_STYLE_MONTHS = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
                         "октябрь", "ноябрь", "декабрь")
_TAJIK_STYLE_MONTHS = ("январ", "феврал", "март", "апрел", "май", "июн", "июл", "август", "сентябр", "октябр",
                       "ноябр", "декабр")

LANGUAGES: dict[str, Language] = {
    "ru": Language(
        months=_months("январь января янв", "февраль февраля фев февр", "март марта мар", "апрель апреля апр",
                       "май мая", "июнь июня июн", "июль июля июл", "август августа авг",
                       "сентябрь сентября сен сент", "октябрь октября окт", "ноябрь ноября ноя нояб",
                       "декабрь декабря дек"),
        ordinals=("го",),  # "14-го марта"
        year_words=("г.", "г", "год", "года", "году"),
        days={"сегодня": 0, "вчера": 1, "позавчера": 2},
        units=_units(seconds="секунду секунды секунд сек", minutes="минуту минуты минут мин",
                     hours="час часа часов ч", days="день дня дней", weeks="неделю недели недель"),
        ago=("назад",),
        one=("один", "одна", "одну"),
        at=("в",),
    ),
    "en": Language(
        months=_months("january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
                       "august aug", "september sep sept", "october oct", "november nov", "december dec"),
        days={"today": 0, "yesterday": 1, "day before yesterday": 2},
        units=_units(seconds="second seconds sec secs", minutes="minute minutes min mins",
                     hours="hour hours hr hrs h", days="day days", weeks="week weeks"),
        ago=("ago",),
        one=("a", "an", "one"),
        at=("at",),
        month_first=True,
    ),
    "tg": Language(
        months=_months(*_TAJIK_STYLE_MONTHS),
        month_suffixes=("и",),
        ordinals=("ум", "уми", "юм", "юми"),  # "14-уми марти"
        year_words=("с.", "сол"),
        year_prefixes=("соли",),
        days={"имрӯз": 0, "имруз": 0, "дирӯз": 1, "дируз": 1, "парерӯз": 2, "пареруз": 2},
        units=_units(seconds="сония", minutes="дақиқа", hours="соат", days="рӯз руз", weeks="ҳафта"),
        ago=("пеш",),
        one=("як",),
        at=("соати", "соат"),
    ),
    "ky": Language(
        months=_months(*(f"{full} {full.rstrip('ь')}" for full in _RUSSIAN_STYLE_MONTHS)),
        month_suffixes=("ы", "и", "у", "ү", "да", "де", "та", "те", "до", "то", "дагы", "деги", "тагы", "теги",
                        "дан", "ден", "тан", "тен"),
        ordinals=("чи", "чы", "инчи", "ынчы", "үнчү", "унчу"),
        year_words=("ж.", "ж", "жыл", "жылы", "жылдын", "жылдан"),
        days={"бүгүн": 0, "кечээ": 1, "мурдагы күнү": 2},
        units=_units(seconds="секунд", minutes="мүнөт", hours="саат", days="күн", weeks="жума апта"),
        ago=("мурун", "мурда"),
        one=("бир",),
        at=("саат",),
    ),
    "kk": Language(
        months=_months("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек",
                       "қазан", "қараша", "желтоқсан"),
        month_suffixes=("ы", "і", "да", "де", "та", "те", "дағы", "дегі", "тағы", "тегі", "ында", "інде",
                        "ындағы", "індегі", "ның", "нің", "дың", "дің", "тың", "тің", "нан", "нен", "дан", "ден",
                        "тан", "тен"),
        ordinals=("і", "ы", "сі", "сы", "ші", "шы", "інші", "ыншы"),  # "наурыздың 14-і", "14-ші наурыз"
        year_words=("ж.", "ж", "жыл", "жылы", "жылғы", "жылдың"),
        days={"бүгін": 0, "кеше": 1, "алдыңғы күні": 2},
        units=_units(seconds="секунд", minutes="минут", hours="сағат", days="күн", weeks="апта"),
        ago=("бұрын",),
        one=("бір",),
        at=("сағат", "сағ."),
    ),
    # Kazakh in the Latin script: the 2021 alphabet (qańtar, sáýir, qyrkúıek), the 2018 one's apostrophes and acutes
    # (qan'tar, sa'ui'r) and plain ASCII as news sites type it (qantar, sauir, qyrkuiek)
    "kk-Latn": Language(
        months=_months("qańtar qantar qan'tar", "aqpan", "naýryz nauryz", "sáýir sauir sáuir sa'ui'r",
                       "mamyr", "maýsym mausym", "shilde", "tamyz",
                       "qyrkúıek qyrkúiek qyrküiek qyrkuiek qyrkuyek", "qazan", "qarasha", "jeltoqsan"),
        month_suffixes=("y", "i", "da", "de", "ta", "te", "dyń", "diń", "tyń", "tiń", "nyń", "niń", "dyn", "din",
                        "tyn", "tin", "nyn", "nin"),
        year_words=("j.", "j", "jyl", "jyly", "jylǵy", "jylgy", "jyldyń", "jyldyn"),
        days={"búgin": 0, "bugin": 0, "keshe": 1},
        units=_units(seconds="sekýnd sekund", minutes="mınót minut", hours="saǵat sagat", days="kún kun",
                     weeks="apta"),
        ago=("buryn",),
        one=("bir",),
        at=("saǵat", "sagat", "saǵ."),
    ),
    "tk": Language(
        months=_months("ýanwar yanwar", "fewral", "mart", "aprel", "maý", "iýun", "iýul", "awgust", "sentýabr",
                       "oktýabr", "noýabr", "dekabr"),
        # possessive (marty, apreli), locative (martda, ýanwarynda), genitive (martyň), dative, ablative, -ky/-ki
        month_suffixes=("y", "i", "yň", "iň", "a", "e", "yna", "ine", "da", "de", "ynda", "inde", "dan", "den",
                        "yndan", "inden", "daky", "däki", "yndaky", "indäki"),
        ordinals=("nji", "njy", "inji", "ynjy", "unjy", "ünji"),
        year_words=("ý.", "ý", "ýyl", "ýylyň", "ýylda", "ýylky", "ýylynda", "ýyly"),
        days={"şu gün": 0, "bu gün": 0, "düýn": 1, "öňňin": 2, "öňki gün": 2},
        units=_units(seconds="sekunt sekund", minutes="minut", hours="sagat", days="gün", weeks="hepde"),
        ago=("öň", "ozal"),
        one=("bir",),
        at=("sagat",),
    ),
    "uz": Language(
        months=_months("yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avgust", "sentabr sentyabr",
                       "oktabr oktyabr", "noyabr", "dekabr"),
        month_suffixes=("da", "dagi", "dan", "ga", "ning"),
        year_words=("y.", "yil", "yilda", "yilning", "yilgi"),
        days={"bugun": 0, "kecha": 1, "o'tgan kuni": 2},
        units=_units(seconds="soniya", minutes="daqiqa", hours="soat", days="kun", weeks="hafta"),
        ago=("oldin", "avval", "ilgari"),
        one=("bir",),
        at=("soat",),
    ),
    "uz-Cyrl": Language(
        months=_months(*_TAJIK_STYLE_MONTHS[:8], "сентябр сентабр", "октябр октабр", *_TAJIK_STYLE_MONTHS[10:]),
        month_suffixes=("да", "даги", "дан", "га", "нинг"),
        year_words=("й.", "йил", "йилда", "йилнинг", "йилги"),
        days={"бугун": 0, "кеча": 1, "ўтган куни": 2},
        units=_units(seconds="сония", minutes="дақиқа", hours="соат", days="кун", weeks="ҳафта"),
        ago=("олдин", "аввал", "илгари"),
        one=("бир",),
        at=("соат",),
    ),
}


# --- vocabulary: the union of the tables -------------------------------------------------------------------------


def _merged(tables: Iterable[Mapping[str, _T]]) -> dict[str, _T]:
    """One lookup table; a word two languages read differently is a table error."""
    merged: dict[str, _T] = {}
    for table in tables:
        for word, value in table.items():
            if merged.setdefault(word.lower(), value) != value:
                raise ValueError(f"{word!r} means both {merged[word.lower()]!r} and {value!r}")
    return merged


def _alt(words: Iterable[str]) -> str:
    """A non-capturing alternation, longest words first, spaces matching any whitespace."""
    ordered = sorted(set(words), key=lambda word: (-len(word), word))
    return "(?:" + "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in ordered) + ")"


_ALL = tuple(LANGUAGES.values())
_MONTHS = _merged(lang.months for lang in _ALL)
_DAYS = _merged(lang.days for lang in _ALL)
_UNITS = _merged(lang.units for lang in _ALL)


def _month(languages: Iterable[Language], *, proper: bool = False) -> str:
    """A month word with its case ending; the ``mon`` group holds the form to look up.

    ``proper``: only Capitalised or UPPER forms, so "It may 5..." is no date but "May 5" is.
    """
    chosen = tuple(languages)
    # Each language's forms take only that language's endings (the lookahead), so an English
    # "Mar" does not take a Turkmen "-y" and read "Mary 14, 2025" as a date.
    alternatives = []
    for lang in chosen:
        forms = _alt(lang.months)
        if proper:
            forms = "(?-i:" + _alt(cased for form in lang.months for cased in (form.title(), form.upper())) + ")"
        endings = _alt(lang.month_suffixes) if lang.month_suffixes else ""
        alternatives.append(f"{forms}(?=(?:{endings})?(?!\\w))" if endings else f"{forms}(?!\\w)")
    suffixes = _alt(suffix for lang in chosen for suffix in lang.month_suffixes)
    return rf"(?P<mon>{'|'.join(alternatives)})(?:{suffixes})?(?!\w)(?:\.(?=[\s,]*\d))?"


# --- regular expressions -----------------------------------------------------------------------------------------

# A number starts here: not inside a word, a phone number (+996) or a run of numbers (1.14, 1,5, 10:14).
_START = r"(?<![\w+])(?<!\d[.,:/-])"
_ORDINAL = rf"\s*-\s*{_alt(w for lang in _ALL for w in lang.ordinals)}(?!\w)"  # 14-nji, 14-і, 2025-nji
_DAY = rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th|{_ORDINAL})?(?!\d)"
_DAY_ORDINAL = rf"(?P<d>\d{{1,2}}){_ORDINAL}"  # a day after its month: "наурыздың 14-і"
_YEAR = r"(?P<y>(?:19|20)\d{2})(?!\d)"
_YEAR_WORD = rf"(?:{_ORDINAL})?\s*(?:-\s*)?{_alt(w for lang in _ALL for w in lang.year_words)}(?!\w)"
_YEAR_TAIL = rf"[\s,]+(?:{_alt(w for lang in _ALL for w in lang.year_prefixes)}\s+)?{_YEAR}(?:{_YEAR_WORD})?"
_MONTH = _month(_ALL)
_OFFSET = r"(?P<off>Z|[+-]\d{2}:?\d{2}|\(?(?:GMT|UTC)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?\)?)(?!\w)"
_TIME = (r"(?<![\d:.])(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?(?!\d)"
         rf"(?:\s*(?P<ap>[ap])\.?\s?m\.?(?!\w))?(?:\s*{_OFFSET})?")
_SEP = rf"(?:T(?=\d)|[\s,.|/•·-]{{1,12}}(?:{_alt(w for lang in _ALL for w in lang.at)}(?!\w)\s*)?)"

_DATES = (
    rf"{_START}{_YEAR}(?P<sep>[-./])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})(?!\d)",  # 2025-03-14
    # 14.03.2025 ý. (``last``: the year is last, so an American 09/25/2025 may be read month first)
    # never right after "№" or "#": "Решение №1/15/2025" is a document's number (and was read month first)
    rf"{_START}(?<!№)(?<!№\s)(?<!#)(?P<d>\d{{1,2}})(?P<sep>[-./])(?P<m>\d{{1,2}})(?P=sep){_YEAR}(?P<last>)"
    rf"(?:{_YEAR_WORD})?",
    rf"{_START}{_DAY}\s*(?:-\s*)?{_MONTH}(?:{_YEAR_TAIL})?",  # 14 марта 2025 г.; 14-март; 14 марти соли 2025
    rf"(?<!\w){_MONTH}\s+{_DAY}{_YEAR_TAIL}",  # март 14, 2025
    rf"(?<!\w){_month((lang for lang in _ALL if lang.month_first), proper=True)}\s+{_DAY}",  # March 14
    rf"{_START}{_YEAR}{_YEAR_WORD}[\s,]*{_DAY}\s*(?:-\s*)?{_MONTH}",  # 2025-жылдын 14-марты; 2024 йил 15 март
    rf"{_START}(?:{_YEAR}{_YEAR_WORD}[\s,]*)?{_MONTH}\s+{_DAY_ORDINAL}",  # (2025 жылғы) наурыздың 14-і
    rf"(?<!\w)(?P<rel>{_alt(_DAYS)})(?!\w)",  # вчера, kecha, дирӯз
)
_AGO = (rf"{_START}(?:(?P<n>\d{{1,3}})\s*|{_alt(w for lang in _ALL for w in lang.one)}\s+)?"
        rf"(?P<unit>{_alt(_UNITS)})\.?\s+{_alt(w for lang in _ALL for w in lang.ago)}(?!\w)")

_PATTERNS: tuple[re.Pattern[str], ...] = (
    *(re.compile(rf"{date_re}(?:{_SEP}{_TIME})?", re.IGNORECASE) for date_re in _DATES),
    *(re.compile(rf"{_TIME}{_SEP}{date_re}", re.IGNORECASE) for date_re in _DATES),
    re.compile(_AGO, re.IGNORECASE),
)
_OFFSET_PARTS = re.compile(r"([+-])(\d{1,2}):?(\d{2})?")
_DIGIT = re.compile(r"\d")
_EQUIVALENT = str.maketrans({**dict.fromkeys("‘’ʻʼ`´", "'"), **dict.fromkeys("‐‑‒–—―−", "-")})


# --- from a match to a datetime ----------------------------------------------------------------------------------


_Groups = Mapping[str, str | None]


def _words(raw: str | None) -> str:
    return " ".join((raw or "").lower().split())


def _number(groups: _Groups, name: str) -> int | None:
    raw = groups.get(name)
    return int(raw) if raw else None


def _recent_year(month: int, day: int, today: date) -> int | None:
    """The year of the latest ``day``.``month`` not after ``today`` (29 February included)."""
    for year in range(today.year, today.year - 9, -1):
        try:
            if date(year, month, day) <= today:
                return year
        except ValueError:
            continue
    return None


def _day(groups: _Groups, today: date) -> date | None:
    """The calendar day a match names, in the site's calendar."""
    if groups.get("rel"):
        return today - timedelta(days=_DAYS[_words(groups["rel"])])
    month = _number(groups, "m")
    month = _MONTHS[_words(groups.get("mon"))] if month is None else month
    day = _number(groups, "d") or 0
    if groups.get("last") is not None and groups.get("sep") == "/" and day <= 12 < month:
        day, month = month, day  # "09/25/2025": an American month first, the one reading that is a day
    year = _number(groups, "y") or _recent_year(month, day, today)
    try:
        return None if year is None else date(year, month, day)
    except ValueError:
        return None


def _clock(groups: _Groups) -> time | None:
    """The time of day a match names (midnight when none), 12-hour clock included."""
    hour, minute, second = _number(groups, "H"), _number(groups, "M") or 0, _number(groups, "S") or 0
    if hour is None:
        return time(0, 0)
    meridiem = _words(groups.get("ap"))
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    try:
        return time(hour, minute, second)
    except ValueError:
        return None


def _zone(offset: str | None, tz: tzinfo) -> tzinfo | None:
    """An explicit offset printed with the time, else the site's zone."""
    if not offset:
        return tz
    parts = _OFFSET_PARTS.search(offset)
    if parts is None:  # Z, UTC, GMT
        return UTC
    hours, minutes = int(parts[2]), int(parts[3] or 0)
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if parts[1] == "-" else delta)


def _value(match: re.Match[str], tz: tzinfo, now: datetime) -> datetime | None:
    """The UTC datetime a match names, or None when that date or time does not exist."""
    groups = match.groupdict()
    if groups.get("unit"):
        count = _number(groups, "n")
        return (now - (1 if count is None else count) * _UNITS[_words(groups["unit"])]).astimezone(UTC)
    day = _day(groups, now.astimezone(tz).date())
    clock = _clock(groups)
    zone = _zone(groups.get("off"), tz)
    if day is None or clock is None or zone is None:
        return None
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


# --- search ------------------------------------------------------------------------------------------------------


def _candidates(text: str) -> Iterator[re.Match[str]]:
    """Date-shaped spans, left to right; at one position the longest, then on after its end."""
    # Each pattern's next match is kept until the scan passes its start (a search from a later
    # position would find the same one), so a text of many impossible dates ("31.02.2025 ...")
    # is read once per pattern instead of once per candidate.
    ahead = [pattern.search(text) for pattern in _PATTERNS]
    position = 0
    while True:
        for i, found in enumerate(ahead):
            if found is not None and found.start() < position:
                ahead[i] = _PATTERNS[i].search(text, position)
        matches = [m for m in ahead if m is not None]
        if not matches:
            return
        best = min(matches, key=lambda m: (m.start(), -m.end()))
        yield best
        position = best.end()


def _dates(text: str, tz: tzinfo, now: datetime) -> Iterator[tuple[datetime, re.Match[str]]]:
    """Every real date in ``text``, left to right, lazily."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    plain = text.translate(_EQUIVALENT)
    for match in _candidates(plain):
        value = _value(match, tz, now)
        if value is not None and not _deadline(plain, match):
            yield value, match


_DEADLINE_CHARS = 20  # how far around a date a deadline word is read ("Applications are accepted until")


def _deadline(text: str, match: re.Match[str]) -> bool:
    """Whether the date ``match`` is a deadline or a period's end ("until July 31", "до 31 июля", "31-iyulgacha")."""
    return bool(deadline_before_date.search(text, max(0, match.start() - _DEADLINE_CHARS), match.start())
                or deadline_after_date.search(text[match.end():match.end() + _DEADLINE_CHARS]))


def _first(text: str, tz: tzinfo, now: datetime) -> tuple[datetime, re.Match[str]] | None:
    return next(_dates(text, tz, now), None)


def find_visible_date(text: str, tz: tzinfo, now: datetime) -> tuple[datetime, str] | None:
    """Search a longer text (a byline line such as "10:15, 14 марта 2025, Бишкек - 24.kg") for the
    first date in it; returns (UTC datetime, the matched raw substring).

    Date-shaped spans that name no real date ("31.02.2025") are skipped. The substring is cut from
    ``text`` after NFC normalisation (the same string for text that already is NFC).
    """
    text = unicodedata.normalize("NFC", text)
    found = _first(text, tz, now)
    if found is None:
        return None
    value, match = found
    return value, text[match.start():match.end()]


# Labels read just before a date (after NFC and _EQUIVALENT): the publication's ("Posted on",
# "Опубликовано:", "Жарияланды") or an update's ("Last updated:", "Обновлено", "Yangilandi").
_PUBLISHED_LABEL = published_before_date
_UPDATED_LABEL = update_label
_LABEL_CHARS = 40  # how far before a date its label is read
MAX_DATES_READ = 8  # dates of one text weighed for a publication label


class Dateline(NamedTuple):
    """The publication date a byline prints: its UTC value, its raw substring, and whether it may be an
    update's (an update label comes before it, and it is not labelled the publication's)."""

    value: datetime
    raw: str
    updated: bool


def find_dateline(text: str, tz: tzinfo, now: datetime) -> Dateline | None:
    """The publication date printed in a byline ``text``: the first date labelled as the publication's
    ("Updated 5 May 2025 · Originally published 2 May 2025" is the 2nd of May), else the first date."""
    text = unicodedata.normalize("NFC", text)
    plain = text.translate(_EQUIVALENT)
    first: tuple[datetime, re.Match[str]] | None = None
    labelled = False
    # An update label names the date after it: the first one when it stands before it ("Last updated: 4 Dec"),
    # or when it names the first one's day again ("<time datetime=2025-12-17>Last Updated: Dec 17, 2025");
    # a later day it labels is another date ("29 февраля 2024, 10:00 Обновлено: 14:40, 03 июня 2025").
    updated = False
    # The first date labelled an update, then an earlier one without a label ("Обновлено: 06.12.2025 10:00
    # 05.12.2025 14:05"): the later is the publication.
    first_updated = False
    for read, (value, match) in enumerate(_dates(text, tz, now)):
        if read >= MAX_DATES_READ:
            break
        before = max(0, match.start() - _LABEL_CHARS)
        if first is None:
            first_updated = _UPDATED_LABEL.search(plain, before, match.start()) is not None
        elif first_updated and value < first[0] and not _UPDATED_LABEL.search(plain, first[1].end(), match.start()):
            first, updated = (value, match), False
            break
        first = first or (value, match)
        if _PUBLISHED_LABEL.search(plain, before, match.start()):
            first, labelled = (value, match), True
            break
        if value.date() == first[0].date() and _UPDATED_LABEL.search(plain, 0 if first[1] is match else before,
                                                                      match.start()):
            updated = True
    if first is None:
        return None
    updated = updated and not labelled
    return Dateline(first[0], text[first[1].start():first[1].end()], updated)


def parse_visible_date(text: str, tz: tzinfo, now: datetime) -> datetime | None:
    """Parse a date/time as printed on a news page; naive values are in ``tz``; relative forms
    ("2 часа назад", "Вчера, 18:20", "today 10:15", "kecha 18:20") are anchored to ``now``
    (an aware datetime, the fetch time). Returns an aware UTC datetime, or None when
    ``text`` holds no date or an impossible one (31 February, hour 25).

    A naive ``now`` is taken as UTC. Words around the date are allowed ("Обновлено 14 марта 2025,
    17:20", "Friday, March 14, 2025"), other numbers are not: a text with a view counter or a second
    date is a job for :func:`find_visible_date`.
    """
    text = unicodedata.normalize("NFC", text)
    found = _first(text, tz, now)
    if found is None:
        return None
    value, match = found
    if _DIGIT.search(text, 0, match.start()) or _DIGIT.search(text, match.end()):
        return None
    return value
