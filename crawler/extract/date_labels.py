"""The words a news page prints before a date to say whose date it is, in the region's languages: the
publication's ("Published", "Опубликовано", "Жарияланды", "Нашр шуд", "Chop etildi", "Çap edildi") or an
update's ("Updated", "Изменено", "Жаңартылды", "Täzelendi").

One table per kind, by language; every pattern that reads a label is built from them here, so the
readers (:mod:`crawler.extract.labelled_date`, :mod:`crawler.extract.visible_dates`) cannot drift
apart. Multi-word labels match any whitespace; an apostrophe matches every Uzbek apostrophe form.

Pure: the standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["DEADLINE_AFTER", "DEADLINE_BEFORE", "PUBLISHED", "UPDATED", "deadline_after_date", "deadline_before_date",
           "label_after_tag", "published_before_date", "published_label_start",
           "update_label"]

# "Published" in each language, with its participles and "date of publication" forms.
PUBLISHED: Mapping[str, tuple[str, ...]] = {
    "en": ("published", "posted", "originally published", "first published", "first posted",
           "date published", "publication date", "publish date"),
    "ru": ("опубликовано", "опубликован", "опубликована", "дата публикации", "размещено", "дата размещения"),
    "kk": ("жарияланды", "жарияланған", "жарияланған уақыты", "жарияланған күні", "жарияланым уақыты"),
    "ky": ("жарыяланды", "жарыяланган", "жарыяланган убактысы", "жарыяланган күнү"),
    "tg": ("нашр шуд", "интишор шуд", "интишор ёфт", "санаи нашр", "санаи интишор", "таърихи нашр"),
    "uz": ("chop etildi", "chop etilgan", "chop etilgan sana", "e'lon qilindi", "e'lon qilingan",
           "nashr qilindi", "nashr etildi", "nashr qilingan sana"),
    "uz-Cyrl": ("чоп этилди", "чоп этилган", "эълон қилинди", "эълон қилинган", "нашр қилинди", "нашр этилди"),
    "tk": ("çap edildi", "neşir edildi", "çap edilen wagty", "neşir edilen wagty"),
}
# "Updated"/"modified": a date after one of these is when the page was last changed, never its publication.
UPDATED: Mapping[str, tuple[str, ...]] = {
    "en": ("updated", "update", "updates", "last updated", "modified", "last modified", "revised"),
    "ru": ("обновлено", "обновлен", "обновлена", "изменено", "изменен", "изменена", "дата изменения",
           "дата обновления"),
    "kk": ("жаңартылды", "жаңартылған", "өзгертілді", "өзгертілген"),
    "ky": ("жаңыланды", "жаңыртылды", "жаңыланган", "өзгөртүлдү"),
    "tg": ("навсозӣ", "навсозӣ шуд", "тағйир ёфт", "тағйир дода шуд"),
    "uz": ("yangilandi", "yangilangan", "o'zgartirildi", "o'zgartirilgan"),
    "uz-Cyrl": ("янгиланди", "янгиланган", "ўзгартирилди", "ўзгартирилган"),
    "tk": ("täzelendi", "täzelenen", "üýtgedildi"),
}
# Words that make the date beside them a deadline or the end of a period ("Open until July 31", "до 31 июля",
# "31 шілдеге дейін"): never when the page was published. Before the date, then after it (postpositions).
DEADLINE_BEFORE: Mapping[str, tuple[str, ...]] = {
    "en": ("until", "till", "through", "deadline", "due", "expires", "ends", "closes"),
    "ru": ("до", "по", "срок", "дедлайн"),
    "tg": ("то",),
}
DEADLINE_AFTER: Mapping[str, tuple[str, ...]] = {
    "kk": ("дейін", "шейін", "дейин"),
    "ky": ("чейин", "дейре"),
    "uz": ("gacha", "qadar"),
    "uz-Cyrl": ("гача", "қадар"),
    "tk": ("çenli", "çenlı", "čenli"),
}
# Between a label and its date: "Published on", "Posted at", "Опубликовано в".
_JOINERS = ("on", "at", "в")
_APOSTROPHE = "['‘’ʻʼ`´]"


def _words(table: Mapping[str, tuple[str, ...]]) -> str:
    """A non-capturing alternation of every label, longest first, any whitespace between words."""
    labels = sorted({label for labels in table.values() for label in labels}, key=lambda w: (-len(w), w))
    return "(?:" + "|".join(_pattern(label) for label in labels) + ")"


def _pattern(label: str) -> str:
    return r"\s+".join(re.escape(word).replace("'", _APOSTROPHE) for word in label.split())


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_PUBLISHED = _words(PUBLISHED)
_UPDATED = _words(UPDATED)
_JOINER = "(?:" + "|".join(_JOINERS) + ")"

# The letters a publication label can start with: a lookahead on them lets a search skip the thousands of tags a
# page has in one step each, where the alternation of every label tried each label in turn (ten times slower).
_FIRST_LETTERS = "".join(sorted({label[0] for labels in PUBLISHED.values() for label in labels}))
_PUBLISHED_FIRST = f"[{re.escape(_FIRST_LETTERS)}]"
# A publication label starting a text node, right after a tag in the HTML (in ``label``): found by one search over
# the page before its tree is read, since most pages have none.
label_after_tag = _compile(rf">\s*(?={_PUBLISHED_FIRST})(?P<label>{_PUBLISHED})(?!\w)")
# A publication label starting a text, with what joins it to its date ("Published on: ").
published_label_start = _compile(rf"^\s*{_PUBLISHED}(?!\w)(?:\s+{_JOINER}(?!\w))?\s*:?\s*")
# A publication label ending a text, just before the date that follows it ("... · Опубликовано: ").
published_before_date = _compile(rf"(?<!\w){_PUBLISHED}[\s:,.-]*(?:{_JOINER})?[\s:,-]*$")
# A deadline word just before a date (at the end of the text before it), or just after it (a dative ending first:
# "31 шілдеге дейін", "31-iyulgacha").
deadline_before_date = _compile(rf"(?<!\w){_words(DEADLINE_BEFORE)}\s*:?\s*$")
deadline_after_date = _compile(rf"^\w{{0,4}}\s*{_words(DEADLINE_AFTER)}(?!\w)")
# An update label anywhere in a text.
update_label = _compile(rf"(?<!\w){_UPDATED}(?!\w)")
