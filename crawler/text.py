"""Unicode and whitespace normalisation shared by extraction and cleaning."""

from __future__ import annotations

import re
import unicodedata

# Characters that render as nothing: zero-width space, word joiner, invisible operators, byte-order mark, soft hyphen,
# interlinear annotation marks. They break matching and deduplication. The bidirectional controls (embeddings and
# overrides U+202A-202E, isolates U+2066-2069, the LRM, RLM and Arabic letter marks) and the deprecated format
# characters U+206A-206F: a page's RLO made a stored title display reversed in a newsroom's tools ("Trojan Source"
# spoofing); none is needed in stored text, which is shown paragraph by paragraph. The tag characters U+E0000-E007F:
# invisible ASCII a page hides in a record for the language models that read it (the flags of England, Scotland and
# Wales lose their tags, and show as a black flag), and the variation selectors supplement U+E0100-E01EF, the same
# channel (256 invisible values, a byte each, after any character). Then the C0 control characters that are no
# whitespace (whitespace is collapsed), and DEL: no text holds them, and a page's ESC, BEL or NUL went on to the store,
# to ``scrapy articles`` on an operator's terminal (ANSI and OSC sequences: clearing lines, writing the clipboard) and
# to exports. C1 controls (U+0080-U+009F) stay: they are what is left of a UTF-8 or windows-1252 page read as
# Latin-1 (``we\x92re``), mojibake a reader may still repair (titles are: ``crawler.extract.titles.repair_mojibake``
# needs them); :func:`shown` escapes them.
_INVISIBLE = re.compile("[\u00ad\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
                        "\ufff9-\ufffb\U000e0000-\U000e007f\U000e0100-\U000e01ef\x00-\x08\x0e-\x1b\x7f]")
# Letters that show as blank space but are no whitespace to str.split(): the Hangul fillers (U+3164, U+FFA0 and the
# conjoining U+115F, U+1160, which no modern Korean text holds alone), the Braille blank and the Khmer inherent vowels
# (deprecated, shown as nothing). A page of them alone was stored as an article with a title and a body; they become
# spaces, so a text of nothing else is empty.
_BLANK_LETTERS = re.compile("[\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0]")
# Either kind: most text holds none, which one scan finds (each substitution scans the whole text again).
_INVISIBLE_OR_BLANK = re.compile(f"[{_INVISIBLE.pattern[1:-1]}{_BLANK_LETTERS.pattern[1:-1]}]")
# The zero-width non-joiner and joiner are kept between two characters of a script that shapes by them: Persian
# (and Tajik in Arabic script) writes "می\u200cخواهم" with one, emoji sequences ("👨\u200d👩\u200d👧") and the
# Indic scripts join by them. Elsewhere (Latin, Cyrillic, next to a space or another of them) they only break
# matching, and go. Everything from Hebrew (U+0590) on but spaces and the characters above counts.
_JOINS = "[^\x00-\u058f\\s\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
_STRAY_JOINERS = re.compile(f"(?<!{_JOINS})[\u200c\u200d]|[\u200c\u200d](?!{_JOINS})")
_ASCII_CONTROLS = re.compile("[\x00-\x1f\x7f]")  # in text split on whitespace, only the others are left
# Bidirectional controls a record stored before they were removed may hold: escaped, a title shows as typed.
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
_SHOWN_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_SHOWN_LINES_CONTROLS = re.compile(f"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]|\r(?!\n)")


def normalize_text(text: str) -> str:
    """NFC-normalise ``text``, drop invisible characters and collapse spaces.

    Every Unicode space (NBSP, narrow NBSP, figure space, ...) and whitespace run becomes one ASCII
    space: ``str.split()`` splits on exactly the characters ``\\s`` matches, in C (a regex substitution
    and ``str.translate`` cost ten times more on Cyrillic text, and every paragraph passes here). ASCII text is
    its own NFC form and holds no invisible character, so only its spaces (and any control character) go."""
    if text.isascii():
        text = " ".join(text.split())
        return text if text.isprintable() else " ".join(_ASCII_CONTROLS.sub("", text).split())
    # Removed before NFC: a mark an invisible character kept apart composes with its letter ("е\u200e\u0308": "ё").
    if _INVISIBLE_OR_BLANK.search(text):
        text = _INVISIBLE.sub("", _BLANK_LETTERS.sub(" ", text))
    if "\u200c" in text or "\u200d" in text:  # two scans in C: most text holds neither
        text = _STRAY_JOINERS.sub("", text)
    return " ".join(unicodedata.normalize("NFC", text).split())


def normalize_optional(text: str | None) -> str | None:
    """Like :func:`normalize_text`, but maps ``None`` and blank text to ``None``."""
    if text is None:
        return None
    return normalize_text(text) or None


def past_cap(text: str, chars: int) -> str:
    """The start of ``text`` that :func:`normalize_text` still makes longer than ``chars`` where it makes the whole
    text so: cut at ``chars + 1``, a space or invisible character at the cut would leave a cap's check (cleaning's)
    nothing to cut or count. Grows by doubling from there: a text of words costs one normalisation of ``chars + 1``
    characters, a megabyte headline no more; only a run of blanks costs a few times its own length."""
    end = chars + 1
    while end < len(text) and len(normalize_text(text[:end])) <= chars:
        end *= 2
    return text[:end]


def shown(text: str) -> str:
    """``text`` for a terminal: each C0 and C1 control character (ESC, CSI, OSC, BEL, a line break) and bidirectional
    control (``\\u202e``) written as its escape (``\\x1b``), so a stored string never moves the cursor, rewrites
    lines, sets the clipboard or shows reversed."""
    return _SHOWN_CONTROLS.sub(_escaped, text)


def shown_lines(text: str) -> str:
    """Lines of ``text`` for a terminal, as :func:`shown` writes a string: each control character written as its
    escape but the line breaks (``\\n``, ``\\r\\n``) and tabs that lay the lines out."""
    return _SHOWN_LINES_CONTROLS.sub(_escaped, text)


def _escaped(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class CharMap:
    """``str.translate`` with a table of characters to strings, for text that is mostly not in the table: the
    characters to change are found by one regex scan in C, where ``translate`` looks each character of a
    non-ASCII text up in the table (about 0.1 µs a character: 16 µs a 150-character Cyrillic headline)."""

    __slots__ = ("_chars", "_replace", "table")

    def __init__(self, table: dict[str, str]) -> None:
        if not table or any(len(char) != 1 for char in table):
            raise ValueError("a CharMap maps single characters")
        self.table = dict(table)
        self._chars = re.compile("[" + "".join(map(re.escape, table)) + "]")
        self._replace = lambda found: table[found[0]]

    def __call__(self, text: str) -> str:
        """``text`` with each character of the table replaced by its string."""
        return self._chars.sub(self._replace, text)
