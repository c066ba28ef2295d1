"""Language and script of an article text, for the languages of Central Asian news.

:func:`detect_language` tells which language (ISO 639-1) and script (ISO 15924,
``Cyrl`` or ``Latn``) a text is written in; :func:`language_matches` checks a guess
against an edition's declared language (``"ru"``, ``"uz-Cyrl"``, ...).

The statistical part is py3langid's naive Bayes model, restricted once to the
languages of the region and their near neighbours (so that a Tatar or Ukrainian
text is not forced into Kazakh or Russian). Cheap letter heuristics make it more
robust on short and mixed texts:

* the script is counted, not guessed; when one script clearly dominates, words in
  the other one (a Russian quote inside an Uzbek Latin paragraph, an English brand
  in a Russian one) are left out of the classification;
* quotations in «», „“, “” or "" are left out too when enough text remains, so a
  Russian quote inside an Uzbek Cyrillic paragraph does not outvote its frame;
* each Cyrillic language has its own extra letters (Tajik ӣ ӯ ҳ ҷ қ ғ, Kazakh
  ә ғ қ ң ө ұ ү һ і, Kyrgyz ң ө ү, Uzbek ў қ ғ ҳ, ...); a candidate whose alphabet
  lacks letters the text uses loses probability in proportion to how often they occur,
  and one whose own letters a longer text never uses loses it with the text's length;
* Uzbek Latin's oʻ and gʻ (written with ' ‘ ’ ʻ ʼ or `) count against the other Latin
  languages, and letters with diacritics (Turkish, Azerbaijani, Turkmen) count against
  Uzbek;
* letters are only counted in words that do not start with a capital, since names keep
  their own spelling (Ақтөбе in a Russian text, Oʻzbekiston in an English one).

A short text (under :data:`MIN_LETTERS` letters) is not classified: it gets the
edition's language when the hint fits its script and letters, else ``None``. On
longer text the hint decides near ties only (:data:`HINT_RATIO`).

Only the first :data:`MAX_CHARS` characters are classified: one call takes well
under a millisecond once the model is loaded (on first use: a few milliseconds from the cache
of :mod:`crawler.extract.language_model`, half a second without it).
py3langid walks its n-gram automaton in a Python loop, a byte at a time; here the walk is
done by numpy for every byte at once (:func:`_walk_score`), with the same counts in the same
order and so the same scores.
This module imports nothing from Scrapy.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawler.extract.language_model import ModelArrays

__all__ = ["LANGUAGES", "LANGUAGE_CODE", "LanguageGuess", "detect_language", "language_matches", "parse_language_tag"]

#: Languages the model chooses from: the region's own, then neighbours that share
#: a script or words with them (a text in one of those is labelled as such).
LANGUAGES: tuple[str, ...] = (
    "ru", "en", "tg", "ky", "kk", "uz",
    "uk", "be", "tt", "ba", "mn", "tr", "az", "tk", "de", "fr", "fa", "ar", "zh",
)  # fmt: skip

#: Characters classified: the start of an article says enough.
MAX_CHARS = 2000
#: The start of a text read: its NFC form, cut to MAX_CHARS, is what is classified.
SAMPLE_CHARS = MAX_CHARS + 50
#: Below this many letters the model is not asked; only a fitting hint gives a language.
MIN_LETTERS = 20
#: A best probability below this (after the letter heuristics) gives language ``None``.
MIN_CONFIDENCE = 0.3
#: The hint wins when its probability is at least this share of the best one.
HINT_RATIO = 0.5
#: Quotations are left out when at least this many letters remain.
QUOTELESS_LETTERS = 60
#: Confidence given to a hint accepted for a text too short to classify.
HINT_ONLY_CONFIDENCE = 0.5
#: A script is "clear" when it has at least this share of the Cyrillic and Latin letters.
CLEAR_SCRIPT_SHARE = 0.75
#: Strength of the letter evidence: probability is multiplied by exp(-PENALTY * rate),
#: ``rate`` being foreign letters per letter of the text.
PENALTY = 60.0

CYRL = "Cyrl"
LATN = "Latn"

# Cyrillic letters beyond Russian's, and which languages write them.
_CYRILLIC_EXTRAS: dict[str, str] = {
    "tg": "ӣӯҳҷқғ",
    "kk": "әғқңөұүһі",
    "ky": "ңөү",
    "uz": "ўқғҳ",
    "tt": "әөүҗңһ",
    "ba": "әөүғҡңҙҫһ",
    "mn": "өү",
    "uk": "іїєґ",
    "be": "іў",
    "ru": "",
}
_ALL_EXTRAS = frozenset("".join(_CYRILLIC_EXTRAS.values()))
# At least this share of the letters of a text in the language are its extras (about half
# the lowest share in the test paragraphs): the longer a Cyrillic text without any of them,
# the less likely it is in that language (the probability is multiplied by exp(-rate * letters)).
_EXTRAS_RATE: dict[str, float] = {
    "tg": 0.02, "kk": 0.04, "ky": 0.008, "uz": 0.008, "tt": 0.02, "ba": 0.02, "mn": 0.008, "uk": 0.01, "be": 0.01,
}  # fmt: skip
_FOREIGN_CYRILLIC: dict[str, frozenset[str]] = {
    lang: _ALL_EXTRAS - frozenset(extras) for lang, extras in _CYRILLIC_EXTRAS.items()
}
# Which scripts a language is written in here; a hint for another script does not fit.
_SCRIPTS: dict[str, tuple[str, ...]] = {
    "ru": (CYRL,), "tg": (CYRL,), "ky": (CYRL,), "uk": (CYRL,), "be": (CYRL,), "tt": (CYRL,),
    "ba": (CYRL,), "mn": (CYRL,), "kk": (CYRL, LATN), "uz": (LATN, CYRL), "en": (LATN,), "tr": (LATN,),
    "az": (LATN,), "tk": (LATN,), "de": (LATN,), "fr": (LATN,),
}  # fmt: skip
# Kazakh's Latin alphabet of 2021 (ǵ for ғ, ń for ң, q for қ), which the model does not know: it takes such text for
# Turkmen. Turkmen writes none of ǵ, ń and q; these letters of Turkmen, Turkish and Azerbaijani Kazakh never writes.
_KAZAKH_LATIN_MARKS = re.compile("[ǵńǴŃ]")
_KAZAKH_LATIN_ALIEN = re.compile("[şçäňñžəğ]")
KAZAKH_LATIN_MIN_MARKS = 3  # ǵ/ń and q each at least this often: a Polish name's ń is no Kazakh text
KAZAKH_LATIN_CONFIDENCE = 0.9
# Latin languages that never write Uzbek's oʻ/gʻ (a name here and there costs little).
_NO_UZ_DIGRAPHS = frozenset({"en", "tr", "az", "tk", "de", "fr"})

# Runs, not single letters: counting the length of a few words is much faster.
_CYRILLIC_RE = re.compile(r"[\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f]+")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]+")
_LETTER_RE = re.compile(r"[^\W\d_]+")
# ʻ and ʼ are "letters" to Unicode (modifier letters) but not to a reader.
_MODIFIER_RE = re.compile(r"[\u02b0-\u02ff]+")
_NON_ASCII_LATIN_RE = re.compile(r"[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]")
# oʻ / gʻ with any apostrophe people type for it.
_UZ_DIGRAPH_RE = re.compile(r"[oOgG][\u2018\u2019\u02bb\u02bc'`]")
_QUOTE_RE = re.compile(r"«[^«»]{1,600}»|„[^„“”]{1,600}[“”]|“[^“”]{1,600}”|\"[^\"]{1,600}\"")
_OPENING_PUNCTUATION = "«„“\"'‘(["
#: What an article's ``language`` holds: a tag's primary subtag, lower case (ISO 639-1, or a three-letter code).
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
_TAG_RE = re.compile(rf"^((?ai:{LANGUAGE_CODE.pattern}))(?:[-_]([A-Za-z]{{4}}))?(?:[-_].*)?$")
# Country codes that the region's sites declare as languages (lang="tm" on Turkmen pages); none
# of them is an ISO 639-1 code. "kg" is not here: it is Kongo's.
_COUNTRY_AS_LANGUAGE = {"tm": "tk", "kz": "kk", "tj": "tg"}


@dataclass(frozen=True)
class LanguageGuess:
    """What :func:`detect_language` found.

    ``language`` is an ISO 639-1 code (``ru en tg ky kk uz tk``, or another one the model
    knows), ``None`` when unknown; ``script`` is ``"Cyrl"`` or ``"Latn"`` (always set for
    ``uz`` and ``kk``, for others when the text's script is clear); ``confidence`` is 0..1.
    """

    language: str | None
    script: str | None
    confidence: float


@dataclass(frozen=True)
class _Letters:
    """Letter counts of a text sample."""

    total: int
    cyrillic: int
    latin: int

    @property
    def majority(self) -> str | None:
        if self.cyrillic == self.latin:
            return None
        return CYRL if self.cyrillic > self.latin else LATN

    @property
    def majority_share(self) -> float:
        both = self.cyrillic + self.latin
        return max(self.cyrillic, self.latin) / both if both else 0.0

    @property
    def clear_script(self) -> str | None:
        """The script when it clearly dominates and most letters are Cyrillic or Latin."""
        if self.majority_share < CLEAR_SCRIPT_SHARE or 2 * (self.cyrillic + self.latin) < self.total:
            return None
        return self.majority


_identifier: Any = None
_identifier_lock = threading.Lock()


def _get_identifier() -> Any:
    """The py3langid identifier restricted to :data:`LANGUAGES`, made once on first use."""
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                from crawler.extract.language_model import load_model_arrays

                _identifier = _identifier_of(load_model_arrays(LANGUAGES))
    return _identifier


def _identifier_of(arrays: ModelArrays) -> Any:
    """A :func:`_walking_identifier` over the restricted model's arrays.

    py3langid's constructor is given no automaton rows (it would copy them into a list of Python ints): its
    own walk is never used, and ours reads :attr:`automaton`."""
    classes = arrays.classes.tolist()
    identifier = _walking_identifier()(arrays.weights, arrays.pc, classes, arrays.next_state, arrays.feature,
                                       norm_probs=True, tk_row=())
    identifier._rowbase = arrays.row
    identifier.automaton = _Automaton(arrays.next_state, arrays.row, arrays.feature, arrays.weights)
    return identifier


#: Bytes that decide the automaton's state: its longest n-gram (the deepest state; checked by the tests).
NGRAM_BYTES = 6


@dataclass(frozen=True)
class _Automaton:
    """py3langid's n-gram automaton as numpy arrays (next state by ``row[state] + byte``, feature by state),
    and its feature weights of the chosen languages as one float32 block (py3langid keeps float16 columns
    of the whole model, and widens the rows a text uses on every call)."""

    next_state: Any
    row: Any
    feature: Any
    weights: Any


def _walk_score(identifier: Any, automaton: _Automaton, data: bytes) -> Any:
    """py3langid's ``_raw_score`` of the UTF-8 ``data``, its automaton walked for every byte at once.

    The automaton (Aho-Corasick) is in the state of the longest n-gram prefix ending at a byte, so that
    state depends on the last :data:`NGRAM_BYTES` bytes alone: each byte's state is the walk from the start
    over those, done as that many array steps. Features are counted in the order they first occur, as
    py3langid's ``Counter`` has them, so its float32 sums are the same."""
    import numpy as np

    text = np.frombuffer(data, dtype=np.uint8).astype(np.intp)
    state = np.zeros(len(text), dtype=np.intp)
    for back in range(min(NGRAM_BYTES, len(text)) - 1, 0, -1):  # the byte ``back`` places before each, oldest first
        state[back:] = automaton.next_state[automaton.row[state[back:]] + text[:len(text) - back]]
    state = automaton.next_state[automaton.row[state] + text]
    features = automaton.feature[state]
    features = features[features >= 0]
    if not len(features):
        return np.full(len(identifier.nb_classes), 0.0 if identifier._norm_probs else float(np.finfo(np.float32).min),
                       dtype=np.float32)
    found, first, counts = np.unique(features, return_index=True, return_counts=True)
    order = np.argsort(first)
    return np.log1p(counts[order].astype(np.float32)) @ automaton.weights[found[order]] + identifier.nb_pc


def _walking_identifier() -> Any:
    """py3langid's identifier class, scoring with :func:`_walk_score` (its own ``rank`` and ``_decide`` call it)."""
    from py3langid.langid import LanguageIdentifier

    class WalkingIdentifier(LanguageIdentifier):  # type: ignore[misc]  # py3langid has no type hints
        __slots__ = ("automaton",)

        def _raw_score(self, text: bytes) -> Any:
            return _walk_score(self, self.automaton, text)

    return WalkingIdentifier


def parse_language_tag(tag: str | None) -> tuple[str | None, str | None]:
    """``"uz-Cyrl"`` → ``("uz", "Cyrl")``, ``"ru-RU"`` → ``("ru", None)``, ``"tm"`` → ``("tk", None)``;
    ``None`` for "und" or junk."""
    if not tag:
        return None, None
    match = _TAG_RE.match(tag.strip())
    if not match or match.group(1).lower() in ("und", "mul", "zxx"):
        return None, None
    script = match.group(2)
    language = match.group(1).lower()
    return _COUNTRY_AS_LANGUAGE.get(language, language), script.title() if script else None


# Per character: whether each run pattern (a letter of a run it matches) takes it, as bits of one table over all
# of Unicode (built once, about 50 ms, then mapped from the array cache), so a sample's letters are counted in one
# numpy pass instead of four regex scans (tests/test_language_walk.py compares the counts with the patterns' on all
# of Unicode).
_CYRILLIC_BIT, _LATIN_BIT, _LETTER_BIT, _MODIFIER_BIT = 1, 2, 4, 8
_letter_table: Any = None


def _letter_flags() -> Any:
    """The table of :data:`_CYRILLIC_BIT`... per code point (surrogates: none)."""
    global _letter_table
    if _letter_table is None:
        import numpy as np

        from crawler.extract.unicode_table import unicode_table

        table = unicode_table("unicode-letters", ((_CYRILLIC_BIT, _CYRILLIC_RE), (_LATIN_BIT, _LATIN_RE),
                                                   (_LETTER_BIT, _LETTER_RE), (_MODIFIER_BIT, _MODIFIER_RE)))
        # How many of each kind a combination of bits adds: counts by combination, times this, are the sums.
        _letter_table = (table, np.asarray([[bool(flags & bit) for bit in (_CYRILLIC_BIT, _LATIN_BIT, _LETTER_BIT,
                                                                             _MODIFIER_BIT)] for flags in range(16)],
                                            dtype=np.int64))
    return _letter_table


def _count_letters(text: str) -> _Letters:
    """The letters of ``text`` that :data:`_LETTER_RE` (less :data:`_MODIFIER_RE`), :data:`_CYRILLIC_RE` and
    :data:`_LATIN_RE` match, character by character."""
    import numpy as np

    table, kinds = _letter_flags()
    flags = table[np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)]
    cyrillic, latin, letters, modifiers = (np.bincount(flags, minlength=16) @ kinds).tolist()
    return _Letters(total=letters - modifiers, cyrillic=cyrillic, latin=latin)


def _without_quotes(sample: str, letters: _Letters) -> tuple[str, _Letters]:
    """``sample`` without its quotations when enough text remains: the article's own
    language is the one its author writes in, not the one of the people quoted."""
    unquoted = _QUOTE_RE.sub(" ", sample)
    if unquoted == sample:
        return sample, letters
    kept = _count_letters(unquoted)
    return (unquoted, kept) if kept.total >= QUOTELESS_LETTERS else (sample, letters)


def _in_main_script(text: str, letters: _Letters) -> str:
    """``text`` without the words of the minority script, when one script clearly dominates."""
    if letters.clear_script == LATN:
        return _CYRILLIC_RE.sub(" ", text)
    if letters.clear_script == CYRL:
        return _LATIN_RE.sub(" ", text)
    return text


@dataclass(frozen=True)
class _Evidence:
    """What the letters of a (lower-cased) text say, counted once per text."""

    letters: int
    cyrillic: int
    extras: dict[str, int]
    non_ascii_latin: int
    uz_digraphs: int

    @classmethod
    def of(cls, text: str) -> _Evidence:
        lowered = text.lower()
        counts = _count_letters(lowered)
        return cls(
            letters=counts.total,
            cyrillic=counts.cyrillic,
            extras={ch: n for ch in _ALL_EXTRAS if (n := lowered.count(ch))},
            non_ascii_latin=len(_NON_ASCII_LATIN_RE.findall(lowered)),
            uz_digraphs=len(_UZ_DIGRAPH_RE.findall(lowered)),
        )

    def foreign(self, lang: str) -> int:
        """How many letters of the text ``lang`` would not write."""
        count = 0
        if lang in _FOREIGN_CYRILLIC:
            alien = _FOREIGN_CYRILLIC[lang]
            count += sum(n for ch, n in self.extras.items() if ch in alien)
        if lang == "uz":
            count += self.non_ascii_latin
        elif lang in _NO_UZ_DIGRAPHS:
            count += self.uz_digraphs
        return count

    def log_weight(self, lang: str) -> float:
        """Log of the factor the letters put on ``lang``'s probability (0 when they say nothing)."""
        if not self.letters:
            return 0.0
        weight = -PENALTY * self.foreign(lang) / self.letters
        rate = _EXTRAS_RATE.get(lang, 0.0)
        if rate and not any(ch in _CYRILLIC_EXTRAS[lang] for ch in self.extras):
            # The language has letters of its own, and this Cyrillic text never uses them.
            weight -= rate * self.cyrillic
        return weight


def _common_words(text: str) -> str:
    """The words of ``text`` that do not start with a capital: names are often spelled the
    way their own language writes them (Ақтөбе, Oʻzbekiston), other words never are."""
    return " ".join(word for word in text.split() if not word.lstrip(_OPENING_PUNCTUATION)[:1].isupper())


def _scores(text: str) -> dict[str, float]:
    """Probability per language: the model's, weighed by what the letters say."""
    ranked: list[tuple[str, float]] = _get_identifier().rank(text)
    evidence = _Evidence.of(_common_words(text))
    weighted = {lang: p * math.exp(evidence.log_weight(lang)) for lang, p in ranked}
    total = sum(weighted.values())
    if total <= 0.0:
        return dict(ranked)
    return {lang: p / total for lang, p in weighted.items()}


def _script_fits(lang: str, want_script: str | None, script: str | None) -> bool:
    """Whether a text in ``script`` could be in ``lang`` (written in ``want_script``, if given)."""
    if script is None or (want_script is not None and want_script != script):
        return False
    return script in _SCRIPTS.get(lang, (script,))


def _script_for(lang: str | None, letters: _Letters) -> str | None:
    """The script to report: the text's main one when ``lang`` is written in it, else a clear one."""
    if lang in ("uz", "kk") and letters.majority is None:
        return _SCRIPTS[lang][0]
    if lang is not None and letters.majority in _SCRIPTS.get(lang, ()):
        return letters.majority
    return letters.clear_script


def detect_language(text: str, hint: str | None = None) -> LanguageGuess:
    """Language and script of ``text`` (an article body or title+body).

    ``hint`` is the edition's declared language (e.g. ``"ru"``, ``"uz"``, ``"uz-Cyrl"``); it
    breaks near-ties but never overrides a clear result. Texts shorter than
    :data:`MIN_LETTERS` letters give language ``None`` unless the hint fits their script
    (and letters). Only the first :data:`MAX_CHARS` characters are looked at.
    """
    sample = unicodedata.normalize("NFC", text[:SAMPLE_CHARS])[:MAX_CHARS]
    letters = _count_letters(sample)
    hint_lang, hint_script = parse_language_tag(hint)
    if letters.total < MIN_LETTERS:
        return _guess_short(sample, letters, hint_lang, hint_script)
    own_text, letters = _without_quotes(sample, letters)
    if letters.majority == LATN and _kazakh_latin(own_text):
        return LanguageGuess("kk", LATN, KAZAKH_LATIN_CONFIDENCE)
    scores = _scores(_in_main_script(own_text, letters))
    best = max(scores, key=scores.__getitem__)
    if (
        hint_lang is not None
        and _script_fits(hint_lang, hint_script, letters.majority)
        and scores.get(hint_lang, 0.0) >= HINT_RATIO * scores[best]
    ):
        best = hint_lang  # a near tie (or the model's own choice): the edition decides
    elif scores[best] < MIN_CONFIDENCE:
        return LanguageGuess(None, letters.clear_script, round(scores[best], 4))
    return LanguageGuess(best, _script_for(best, letters), round(scores[best], 4))


def _kazakh_latin(text: str) -> bool:
    """Whether a Latin text is Kazakh in its 2021 alphabet: ǵ/ń and q used, no letter of Turkmen's, Turkish's or
    Azerbaijani's own (one for a name is allowed)."""
    if not _KAZAKH_LATIN_MARKS.search(text):  # nearly every Latin page: one scan, no lower-cased copy
        return False
    lowered = text.lower()
    return len(_KAZAKH_LATIN_MARKS.findall(lowered)) >= KAZAKH_LATIN_MIN_MARKS \
        and lowered.count("q") >= KAZAKH_LATIN_MIN_MARKS and len(_KAZAKH_LATIN_ALIEN.findall(lowered)) <= 1


def _guess_short(sample: str, letters: _Letters, hint_lang: str | None, hint_script: str | None) -> LanguageGuess:
    """A text too short for the model: the hint's language if the text has its script and
    no letter that language lacks, else no language."""
    if (
        hint_lang is not None
        and _script_fits(hint_lang, hint_script, letters.clear_script)
        and not _Evidence.of(sample).foreign(hint_lang)
    ):
        return LanguageGuess(hint_lang, _script_for(hint_lang, letters), HINT_ONLY_CONFIDENCE)
    return LanguageGuess(None, letters.clear_script, 0.0)


def language_matches(guess: LanguageGuess, declared: str) -> bool:
    """True when ``guess`` agrees with an edition's declared language.

    The language must be the same; a declared script (``"uz-Cyrl"``: Uzbek in Cyrillic)
    must be the guessed one too, while a bare code (``"uz"``) accepts either script.
    Region subtags (``"ru-RU"``) are ignored; ``"und"`` matches nothing.
    """
    lang, script = parse_language_tag(declared)
    if lang is None or guess.language != lang:
        return False
    return script is None or guess.script == script
