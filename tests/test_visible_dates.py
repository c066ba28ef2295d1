"""Tables for dates as printed in visible text (crawler/extract/visible_dates.py), in every language of the region."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crawler.extract.visible_dates import LANGUAGES, find_visible_date, parse_visible_date

DUSHANBE = ZoneInfo("Asia/Dushanbe")  # UTC+5
BISHKEK = ZoneInfo("Asia/Bishkek")  # UTC+6
ALMATY = ZoneInfo("Asia/Almaty")  # UTC+6, UTC+5 from 2024-03-01
TASHKENT = ZoneInfo("Asia/Tashkent")  # UTC+5
ASHGABAT = ZoneInfo("Asia/Ashgabat")  # UTC+5

# The fetch time: 17:00 in Dushanbe, Almaty and Tashkent, 18:00 in Bishkek.
NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


CASES: list[tuple[str, tzinfo, datetime]] = [
    # numeric
    ("2025-03-14 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("2025-03-14T10:15:00", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("2025-03-14T10:15:00+03:00", DUSHANBE, utc(2025, 3, 14, 7, 15)),
    ("2025-03-14T10:15:00.000Z", DUSHANBE, utc(2025, 3, 14, 10, 15)),
    ("2025/03/14", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("14.03.2025", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("14.03.2025 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("14/03/2025, 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("10:15 / 14.03.2025", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("10:15, 14.03.2025", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("14-03-2025 10:15:30", DUSHANBE, utc(2025, 3, 14, 5, 15, 30)),
    ("14.03.2025 00:30", BISHKEK, utc(2025, 3, 13, 18, 30)),  # just after midnight: the previous UTC day
    ("14.03.2025 в 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("14.03.2025 г. 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("14.03.2025, 10:15", BISHKEK, utc(2025, 3, 14, 4, 15)),
    ("14.03.2025. 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),  # a date and a time separated by a dot
    ("10:15. 14.03.2025", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("14 марта 2025. 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    # Russian
    ("14 марта 2025", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("14 марта 2025 г., 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("14 марта 2025 года в 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("14 МАРТА 2025, 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("14 мар. 2025, 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("март 14, 2025", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("1 января 2025", DUSHANBE, utc(2024, 12, 31, 19, 0)),
    ("29 февраля 2024", DUSHANBE, utc(2024, 2, 28, 19, 0)),
    ("Обновлено 14 марта 2025, 17:20", DUSHANBE, utc(2025, 3, 14, 12, 20)),
    ("Пятница, 14 марта 2025", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("14-го марта 2025 года", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("14:30, 14 марта 2025", BISHKEK, utc(2025, 3, 14, 8, 30)),
    ("14 марта, 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),  # no year: this year
    ("15 марта", DUSHANBE, utc(2024, 3, 14, 19, 0)),  # no year, tomorrow: last year
    ("29 февраля", DUSHANBE, utc(2024, 2, 28, 19, 0)),  # no year: the last leap day
    ("31 декабря, 23:59", DUSHANBE, utc(2024, 12, 31, 18, 59)),
    ("14 марта, 23:00", BISHKEK, utc(2025, 3, 14, 17, 0)),  # no year, today: the site's calendar day
    ("5 минут назад", DUSHANBE, utc(2025, 3, 14, 11, 55)),
    ("2 часа назад", DUSHANBE, utc(2025, 3, 14, 10, 0)),
    ("час назад", DUSHANBE, utc(2025, 3, 14, 11, 0)),
    ("одну минуту назад", DUSHANBE, utc(2025, 3, 14, 11, 59)),
    ("2 ч. назад", DUSHANBE, utc(2025, 3, 14, 10, 0)),
    ("3 дня назад", DUSHANBE, utc(2025, 3, 11, 12, 0)),
    ("неделю назад", DUSHANBE, utc(2025, 3, 7, 12, 0)),
    ("вчера, 18:20", DUSHANBE, utc(2025, 3, 13, 13, 20)),
    ("Вчера в 18:20", BISHKEK, utc(2025, 3, 13, 12, 20)),
    ("сегодня, 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("Сегодня", DUSHANBE, utc(2025, 3, 13, 19, 0)),  # a day word alone: the start of that local day
    ("позавчера", DUSHANBE, utc(2025, 3, 11, 19, 0)),
    ("позавчера, 09:00", BISHKEK, utc(2025, 3, 12, 3, 0)),
    # English
    ("March 14, 2025", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("14 March 2025 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("Mar 14, 2025 at 10:15 AM", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("Mar 14, 2025 at 10:15 PM", DUSHANBE, utc(2025, 3, 14, 17, 15)),
    ("March 14, 2025 12:05 AM", BISHKEK, utc(2025, 3, 13, 18, 5)),
    ("March 14, 2025 12:00 p.m.", BISHKEK, utc(2025, 3, 14, 6, 0)),
    ("10:15 AM, 14 March 2025", TASHKENT, utc(2025, 3, 14, 5, 15)),
    ("Friday, 14th March 2025", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("Sept. 1, 2024", DUSHANBE, utc(2024, 8, 31, 19, 0)),
    ("March 14", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("Mar 14, 10:15 AM", TASHKENT, utc(2025, 3, 14, 5, 15)),
    ("14 March 2025, 10:15 GMT+6", DUSHANBE, utc(2025, 3, 14, 4, 15)),  # a printed offset wins
    ("2 hours ago", DUSHANBE, utc(2025, 3, 14, 10, 0)),
    ("5 minutes ago", DUSHANBE, utc(2025, 3, 14, 11, 55)),
    ("an hour ago", DUSHANBE, utc(2025, 3, 14, 11, 0)),
    ("2h ago", DUSHANBE, utc(2025, 3, 14, 10, 0)),
    ("yesterday 18:20", DUSHANBE, utc(2025, 3, 13, 13, 20)),
    ("Yesterday at 6:20 PM", DUSHANBE, utc(2025, 3, 13, 13, 20)),
    ("today, 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("the day before yesterday", DUSHANBE, utc(2025, 3, 11, 19, 0)),
    # Tajik
    ("14 марти 2025", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("14 март 2025", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("14 марти соли 2025, 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("14 март 2025 с.", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("1 январи 2025", DUSHANBE, utc(2024, 12, 31, 19, 0)),
    ("5 сентябри 2024", DUSHANBE, utc(2024, 9, 4, 19, 0)),
    ("2 соат пеш", DUSHANBE, utc(2025, 3, 14, 10, 0)),
    ("5 дақиқа пеш", DUSHANBE, utc(2025, 3, 14, 11, 55)),
    ("3 рӯз пеш", DUSHANBE, utc(2025, 3, 11, 12, 0)),
    ("дирӯз, 18:20", DUSHANBE, utc(2025, 3, 13, 13, 20)),
    ("Дирӯз, соати 18:20", DUSHANBE, utc(2025, 3, 13, 13, 20)),
    ("имрӯз", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("имрӯз, 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("парерӯз", DUSHANBE, utc(2025, 3, 11, 19, 0)),
    ("14-уми марти соли 2025", DUSHANBE, utc(2025, 3, 13, 19, 0)),
    ("14 марти 2025, соати 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    ("14.03.2025, соат 10:15", DUSHANBE, utc(2025, 3, 14, 5, 15)),
    # Kyrgyz
    ("14-март, 2025-ж.", BISHKEK, utc(2025, 3, 13, 18, 0)),
    ("2025-жылдын 14-марты", BISHKEK, utc(2025, 3, 13, 18, 0)),
    ("14-март 2025", BISHKEK, utc(2025, 3, 13, 18, 0)),
    ("2025-жылы 14-мартта, 10:15", BISHKEK, utc(2025, 3, 14, 4, 15)),
    ("1-сентябрь, 2024-ж.", BISHKEK, utc(2024, 8, 31, 18, 0)),
    ("14-март, 2025-ж., 00:30", BISHKEK, utc(2025, 3, 13, 18, 30)),
    ("2 саат мурун", BISHKEK, utc(2025, 3, 14, 10, 0)),
    ("5 мүнөт мурун", BISHKEK, utc(2025, 3, 14, 11, 55)),
    ("кечээ, 18:20", BISHKEK, utc(2025, 3, 13, 12, 20)),
    ("Кечээ саат 18:20", BISHKEK, utc(2025, 3, 13, 12, 20)),
    ("бүгүн", BISHKEK, utc(2025, 3, 13, 18, 0)),
    ("бүгүн, 10:15", BISHKEK, utc(2025, 3, 14, 4, 15)),
    ("2025-жылдын 14-марты, саат 10:15", BISHKEK, utc(2025, 3, 14, 4, 15)),
    ("2025-ж. 14-март", BISHKEK, utc(2025, 3, 13, 18, 0)),
    ("14-мартта", BISHKEK, utc(2025, 3, 13, 18, 0)),
    ("14:30, 14-март 2025", BISHKEK, utc(2025, 3, 14, 8, 30)),
    # Kazakh (Almaty moved from UTC+6 to UTC+5 on 2024-03-01)
    ("14 наурыз 2025", ALMATY, utc(2025, 3, 13, 19, 0)),
    ("2025 жылғы 14 наурыз", ALMATY, utc(2025, 3, 13, 19, 0)),
    ("2025 жылғы 14 наурызда, 10:15", ALMATY, utc(2025, 3, 14, 5, 15)),
    ("14 наурыз 2025, сағ. 10:15", ALMATY, utc(2025, 3, 14, 5, 15)),
    ("2025 ж. 5 қаңтар", ALMATY, utc(2025, 1, 4, 19, 0)),
    ("14 наурыздағы", ALMATY, utc(2025, 3, 13, 19, 0)),
    ("7 қыркүйектегі", ALMATY, utc(2024, 9, 6, 19, 0)),
    ("29 ақпан 2024, 12:00", ALMATY, utc(2024, 2, 29, 6, 0)),
    ("1 наурыз 2024, 12:00", ALMATY, utc(2024, 3, 1, 7, 0)),
    ("1 наурыз 2024", ALMATY, utc(2024, 2, 29, 19, 0)),
    ("29.02.2024", ALMATY, utc(2024, 2, 28, 18, 0)),
    ("15 желтоқсан 2023 10:00", ALMATY, utc(2023, 12, 15, 4, 0)),
    ("2 сағат бұрын", ALMATY, utc(2025, 3, 14, 10, 0)),
    ("кеше, 18:20", ALMATY, utc(2025, 3, 13, 13, 20)),
    ("бүгін", ALMATY, utc(2025, 3, 13, 19, 0)),
    ("2025 ж. 14 наурыз", ALMATY, utc(2025, 3, 13, 19, 0)),
    # Kazakh in the Latin script: the 2021 alphabet, and as sites type it in ASCII
    ("3 jeltoqsan 2025, 14:05", ALMATY, utc(2025, 12, 3, 9, 5)),
    ("2025 jylǵy 14 naýryz", ALMATY, utc(2025, 3, 13, 19, 0)),
    ("2025 jylgy 14 nauryz, 10:15", ALMATY, utc(2025, 3, 14, 5, 15)),
    ("14 qańtar 2025 j.", ALMATY, utc(2025, 1, 13, 19, 0)),
    ("5 qyrkúıek 2025", ALMATY, utc(2025, 9, 4, 19, 0)),
    ("2025 жылғы наурыздың 14-і, 10:15", ALMATY, utc(2025, 3, 14, 5, 15)),
    ("наурыздың 14-і", ALMATY, utc(2025, 3, 13, 19, 0)),
    ("14-ші наурыз 2025", ALMATY, utc(2025, 3, 13, 19, 0)),
    ("14:30, 14 наурыз 2025", ALMATY, utc(2025, 3, 14, 9, 30)),
    ("14 наурыз 2025, сағат 10:15", ALMATY, utc(2025, 3, 14, 5, 15)),
    ("14 наурыз 2025 ж. 10:15", ALMATY, utc(2025, 3, 14, 5, 15)),
    ("2024 жылғы 29 ақпан, 10:00", ALMATY, utc(2024, 2, 29, 4, 0)),  # UTC+6 the day before the change
    # Uzbek, Latin
    ("15-mart, 2024", TASHKENT, utc(2024, 3, 14, 19, 0)),
    ("15 mart 2024", TASHKENT, utc(2024, 3, 14, 19, 0)),
    ("2024-yil 15-mart", TASHKENT, utc(2024, 3, 14, 19, 0)),
    ("14-mart, 2025-yil, soat 10:15", TASHKENT, utc(2025, 3, 14, 5, 15)),
    ("14 martdan", TASHKENT, utc(2025, 3, 13, 19, 0)),
    ("1-sentyabr 2024", TASHKENT, utc(2024, 8, 31, 19, 0)),
    ("1-sentabr 2024", TASHKENT, utc(2024, 8, 31, 19, 0)),
    ("2 soat oldin", TASHKENT, utc(2025, 3, 14, 10, 0)),
    ("5 daqiqa oldin", TASHKENT, utc(2025, 3, 14, 11, 55)),
    ("bir soat avval", TASHKENT, utc(2025, 3, 14, 11, 0)),
    ("kecha, 18:20", TASHKENT, utc(2025, 3, 13, 13, 20)),
    ("Bugun, 10:15", TASHKENT, utc(2025, 3, 14, 5, 15)),
    ("o'tgan kuni", TASHKENT, utc(2025, 3, 11, 19, 0)),
    ("o‘tgan kuni", TASHKENT, utc(2025, 3, 11, 19, 0)),
    ("oʻtgan kuni, 09:00", TASHKENT, utc(2025, 3, 12, 4, 0)),
    ("oʼtgan kuni, 09:00", TASHKENT, utc(2025, 3, 12, 4, 0)),
    ("14 mart 2025, soat 10:15", TASHKENT, utc(2025, 3, 14, 5, 15)),
    ("2025-yil 14-martda", TASHKENT, utc(2025, 3, 13, 19, 0)),
    ("14 mart 2025 y. soat 10:15", TASHKENT, utc(2025, 3, 14, 5, 15)),
    # Uzbek, Cyrillic
    ("15 март 2024", TASHKENT, utc(2024, 3, 14, 19, 0)),
    ("2024 йил 15 март", TASHKENT, utc(2024, 3, 14, 19, 0)),
    ("14 март 2025 й., 10:15", TASHKENT, utc(2025, 3, 14, 5, 15)),
    ("1 сентабр 2024", TASHKENT, utc(2024, 8, 31, 19, 0)),
    ("2 соат олдин", TASHKENT, utc(2025, 3, 14, 10, 0)),
    ("кеча, 18:20", TASHKENT, utc(2025, 3, 13, 13, 20)),
    ("бугун", TASHKENT, utc(2025, 3, 13, 19, 0)),
    ("ўтган куни", TASHKENT, utc(2025, 3, 11, 19, 0)),
    ("14 март 2025 й., соат 10:15", TASHKENT, utc(2025, 3, 14, 5, 15)),
    ("2025 йил 14 мартда", TASHKENT, utc(2025, 3, 13, 19, 0)),
    # Turkmen (Latin script; Ashgabat is UTC+5 all year)
    ("2025-nji ýylyň 14-nji marty", ASHGABAT, utc(2025, 3, 13, 19, 0)),
    ("14.03.2025 ý.", ASHGABAT, utc(2025, 3, 13, 19, 0)),
    ("14.03.2025 ý. 10:15", ASHGABAT, utc(2025, 3, 14, 5, 15)),
    ("14.03.2025 ý. sagat 10:15", ASHGABAT, utc(2025, 3, 14, 5, 15)),
    ("14-nji mart 2025", ASHGABAT, utc(2025, 3, 13, 19, 0)),
    ("14-nji mart 2025 ý., sagat 10:15", ASHGABAT, utc(2025, 3, 14, 5, 15)),
    ("14 Mart 2025, 10:15", ASHGABAT, utc(2025, 3, 14, 5, 15)),
    ("2025-nji ýylyň 5-nji ýanwarynda", ASHGABAT, utc(2025, 1, 4, 19, 0)),
    ("2025-nji ýylyň 5-nji ýanwarynda, sagat 10:15", ASHGABAT, utc(2025, 1, 5, 5, 15)),
    ("1-nji sentýabr 2024 ý.", ASHGABAT, utc(2024, 8, 31, 19, 0)),
    ("30-njy noýabr 2024", ASHGABAT, utc(2024, 11, 29, 19, 0)),
    ("6-njy iýunda", ASHGABAT, utc(2024, 6, 5, 19, 0)),  # no year, later than today: last year
    ("12-nji MAÝ 2024", ASHGABAT, utc(2024, 5, 11, 19, 0)),
    ("14-nji fewraldan", ASHGABAT, utc(2025, 2, 13, 19, 0)),
    ("9-njy awgustyndaky", ASHGABAT, utc(2024, 8, 8, 19, 0)),
    ("3-ünji oktýabr 2024", ASHGABAT, utc(2024, 10, 2, 19, 0)),
    ("10:15, 14.03.2025", ASHGABAT, utc(2025, 3, 14, 5, 15)),
    ("Düýn, 18:20", ASHGABAT, utc(2025, 3, 13, 13, 20)),
    ("şu gün, sagat 10:15", ASHGABAT, utc(2025, 3, 14, 5, 15)),
    ("öňňin", ASHGABAT, utc(2025, 3, 11, 19, 0)),
    ("2 sagat öň", ASHGABAT, utc(2025, 3, 14, 10, 0)),
    ("5 minut öň", ASHGABAT, utc(2025, 3, 14, 11, 55)),
]


@pytest.mark.parametrize(("text", "tz", "expected"), CASES, ids=[case[0] for case in CASES])
def test_parse_visible_date(text: str, tz: tzinfo, expected: datetime) -> None:
    value = parse_visible_date(text, tz, NOW)
    assert value == expected
    assert value is not None and value.utcoffset() == timedelta(0)


# Relative days and missing years at other fetch times: month, year and UTC-day boundaries.
AT_OTHER_TIMES: list[tuple[str, tzinfo, datetime, datetime]] = [
    ("вчера, 00:10", BISHKEK, utc(2025, 3, 1, 3, 0), utc(2025, 2, 27, 18, 10)),
    ("кеше, 00:10", ALMATY, utc(2024, 3, 1, 3, 0), utc(2024, 2, 28, 18, 10)),  # yesterday was still UTC+6
    ("yesterday, 23:50", DUSHANBE, utc(2025, 1, 1, 0, 30), utc(2024, 12, 31, 18, 50)),
    ("сегодня, 01:00", BISHKEK, utc(2025, 3, 14, 20, 0), utc(2025, 3, 14, 19, 0)),  # already the 15th in Bishkek
    ("вчера, 23:00", BISHKEK, utc(2025, 3, 14, 20, 0), utc(2025, 3, 14, 17, 0)),
    ("бүгүн", BISHKEK, utc(2025, 3, 14, 20, 0), utc(2025, 3, 14, 18, 0)),
    ("2 часа назад", DUSHANBE, utc(2025, 3, 14, 1, 0), utc(2025, 3, 13, 23, 0)),
    ("31 декабря, 23:00", DUSHANBE, utc(2025, 1, 2, 12, 0), utc(2024, 12, 31, 18, 0)),
    ("2 января", DUSHANBE, utc(2025, 1, 2, 12, 0), utc(2025, 1, 1, 19, 0)),
    ("29 февраля", DUSHANBE, utc(2028, 3, 1, 0, 0), utc(2028, 2, 28, 19, 0)),
]


@pytest.mark.parametrize(("text", "tz", "now", "expected"), AT_OTHER_TIMES, ids=[c[0] for c in AT_OTHER_TIMES])
def test_parse_at_other_fetch_times(text: str, tz: tzinfo, now: datetime, expected: datetime) -> None:
    assert parse_visible_date(text, tz, now) == expected


@pytest.mark.parametrize("text", [
    "",
    "   ",
    "Новости Таджикистана",
    "2 500 сомов",
    "Курс: 87,45 сома",
    "+996 (312) 62-33-44",
    "+992 93 555 12 12",
    "Тел.: 0312 14-03-20",
    "версия 1.2.3",
    "10:15",  # a time is not a date
    "Счёт 2:1",
    "в 2025 году",
    "Май 2025",
    "Mart 2025",  # a month is not a day
    "2025-nji ýyl",
    "2025 жыл",
    "Mary 14, 2025",  # an English abbreviation takes no Turkmen ending
    "14 Jane 2025",
    "It may 5 times",  # "March 14" needs a capital when it has no year
    "14.03.25",  # two-digit years are not read
    "2 часа",
    "31 февраля 2025",
    "31 февраля",
    "29.02.2025",
    "31.04.2025",
    "13.13.2025",
    "2025-02-30",
    "14.03.2025 25:10",
    "14.03.2025 10:75",
    "14 марта 2025, 24:00",
    "вчера, 25:00",
    "30 февраля, 10:15",
    "13:00 PM, 14 March 2025",
    "0:30 AM, 14 March 2025",
    "Обновлено 14 марта 2025, 17:20 | 1 234 просмотра",  # more numbers: find_visible_date's job
])
def test_parse_visible_date_rejects(text: str) -> None:
    assert parse_visible_date(text, DUSHANBE, NOW) is None


BYLINES: list[tuple[str, tzinfo, datetime, str]] = [
    ("10:15, 14 марта 2025, Бишкек - 24.kg", BISHKEK, utc(2025, 3, 14, 4, 15), "10:15, 14 марта 2025"),
    ("11:30, 14 March 2025, BISHKEK - 24.kg news agency", BISHKEK, utc(2025, 3, 14, 5, 30),
     "11:30, 14 March 2025"),
    ("Обновлено 14 марта 2025, 17:20 | 1 234 просмотра", DUSHANBE, utc(2025, 3, 14, 12, 20),
     "14 марта 2025, 17:20"),
    ("Asia-Plus | 14.03.2025 09:05 | Политика", DUSHANBE, utc(2025, 3, 14, 4, 5), "14.03.2025 09:05"),
    ("Kun.uz | 14 mart 2025, 14:10 | 3 456", TASHKENT, utc(2025, 3, 14, 9, 10), "14 mart 2025, 14:10"),
    ("Jamiyat • Kecha, 18:20 • 2 345", TASHKENT, utc(2025, 3, 13, 13, 20), "Kecha, 18:20"),
    ("2 soat oldin • Siyosat • 15 ta izoh", TASHKENT, utc(2025, 3, 14, 10, 0), "2 soat oldin"),
    ("Жаңалықтар • 2025 жылғы 14 наурыз, 10:15 • Астана", ALMATY, utc(2025, 3, 14, 5, 15),
     "2025 жылғы 14 наурыз, 10:15"),
    ("Kabar | 14-март, 2025-ж. | 1520 көрүү", BISHKEK, utc(2025, 3, 13, 18, 0), "14-март, 2025-ж."),
    ("Ховар — 14 марти соли 2025, 10:15 — Душанбе", DUSHANBE, utc(2025, 3, 14, 5, 15),
     "14 марти соли 2025, 10:15"),
    ("By Staff Writer, Mar 14, 2025 at 10:15 AM", TASHKENT, utc(2025, 3, 14, 5, 15), "Mar 14, 2025 at 10:15 AM"),
    ("Приказ № 123 от 14.03.2025", DUSHANBE, utc(2025, 3, 13, 19, 0), "14.03.2025"),
    ("Бишкек, 31.02.2025 (опечатка), 14.03.2025", BISHKEK, utc(2025, 3, 13, 18, 0), "14.03.2025"),
    ("Газета.uz — oʻtgan kuni, 09:00", TASHKENT, utc(2025, 3, 12, 4, 0), "oʻtgan kuni, 09:00"),
    ("Экономика | 5 минут назад | 12 комментариев", DUSHANBE, utc(2025, 3, 14, 11, 55), "5 минут назад"),
    ("Jemgyýet | 14.03.2025 ý. | 1 250 gezek okaldy", ASHGABAT, utc(2025, 3, 13, 19, 0), "14.03.2025 ý."),
    ("Aşgabat, 2025-nji ýylyň 14-nji marty (TDH) — 12 teswir", ASHGABAT, utc(2025, 3, 13, 19, 0),
     "2025-nji ýylyň 14-nji marty"),
    ("Syýasat • 14-nji mart 2025, 10:15 • 3 456", ASHGABAT, utc(2025, 3, 14, 5, 15), "14-nji mart 2025, 10:15"),
    ("Азаттық | 2025 жылғы наурыздың 14-і, 10:15 | 2 пікір", ALMATY, utc(2025, 3, 14, 5, 15),
     "2025 жылғы наурыздың 14-і, 10:15"),
]


@pytest.mark.parametrize(("text", "tz", "expected", "raw"), BYLINES, ids=[b[0] for b in BYLINES])
def test_find_visible_date(text: str, tz: tzinfo, expected: datetime, raw: str) -> None:
    assert find_visible_date(text, tz, NOW) == (expected, raw)


@pytest.mark.parametrize("text", [
    "Курс доллара: 87,45 сома, тел. +996 312 62-33-44",
    "Бишкек - 24.kg, 1 234 просмотра",
    "31.02.2025 25:10",
])
def test_find_visible_date_finds_nothing(text: str) -> None:
    assert find_visible_date(text, BISHKEK, NOW) is None


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_every_month_form_of_every_language(code: str) -> None:
    language = LANGUAGES[code]
    assert sorted(set(language.months.values())) == list(range(1, 13))
    for form, month in language.months.items():
        text = f"{form} 14, 2025" if language.month_first else f"14 {form} 2025"
        assert parse_visible_date(text, UTC, NOW) == utc(2025, month, 14), text


@pytest.mark.parametrize("module", ["visible_dates", "date_labels"])
def test_module_is_pure(module: str) -> None:
    source = Path(__file__).resolve().parent.parent / "crawler" / "extract" / f"{module}.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    # The standard library, and the label tables (themselves pure, checked here too).
    assert {name.split(".")[0] for name in imported - {"crawler.extract.date_labels"}} <= {
        "__future__", "re", "unicodedata", "collections", "dataclasses", "datetime", "typing", "zoneinfo"}
