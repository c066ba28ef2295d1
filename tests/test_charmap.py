"""``crawler.text.CharMap`` gives what ``str.translate`` gave with the same table, for every table that uses it."""

from __future__ import annotations

import re

import pytest

from crawler.extract import generic, titles
from crawler.text import CharMap

# Every code point but the surrogates.
_ALL = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)


@pytest.mark.parametrize(
    "charmap",
    [
        titles._QUOTES,
        titles._CURLY_SINGLE,
        titles._FULLWIDTH_MARKS,
        generic._STRAIGHT_QUOTES,
    ],
)
def test_charmap_translates_as_str_translate(charmap: CharMap) -> None:
    table = charmap.table
    translation = str.maketrans(table)
    assert table and charmap(_ALL) == _ALL.translate(translation)
    mixed = "".join(f"{char}{char}x{char}" for char in table) + "«„Заголовок» — «ещё»… ’`´"
    assert charmap(mixed) == mixed.translate(translation)
    assert charmap("") == ""


@pytest.mark.parametrize("table", [{"]": "a", "^": "b", "\\": "c", "-": "d"}, {"a": "", "b": "bb"}, {".": "…"}])
def test_charmap_takes_regex_metacharacters_and_any_replacement(table: dict[str, str]) -> None:
    text = "".join(chr(c) for c in range(128)) * 2 + "a-b^c]d\\e."
    assert CharMap(table)(text) == text.translate(str.maketrans(table))


@pytest.mark.parametrize("table", [{}, {"ab": "x"}])
def test_charmap_refuses_what_str_translate_would_not_take_as_characters(table: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=re.escape("single characters")):
        CharMap(table)
