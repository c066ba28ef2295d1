"""Language identification walks py3langid's n-gram automaton with numpy: the same scores, bit for bit."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from crawler.extract.language import LANGUAGES, NGRAM_BYTES, _get_identifier

RNG = random.Random(18)
TEXTS = [
    "", "a", "ӣ", "12", "Министерство энергетики провело совещание о строительстве станции.",
    "Oʻzbekiston Respublikasi Prezidenti farmon imzoladi, deb xabar beradi «Dunyo» axborot agentligi.",
    "Қазақстан Республикасының Үкіметі жаңа бағдарламаны бекітті. «Это важно», — сказал министр.",
    "Кыргыз Республикасынын Өкмөтү жаңы мыйзам долбоорун жактырды.",
    "Ҳукумати Ҷумҳурии Тоҷикистон барномаи навро тасдиқ кард.",
    "The talks will continue next month in Bishkek, both ministries said. 東京 العربية فارسی",
    *("".join(chr(RNG.choice([RNG.randrange(32, 127), RNG.randrange(0x400, 0x530), RNG.randrange(0xC0, 0x250),
                              RNG.randrange(0x600, 0x700), RNG.randrange(0x4E00, 0x4F00)]))
              for _ in range(RNG.randrange(1, 2000))) for _ in range(60)),
]
EVERY_BYTE = np.arange(256)
RAW = [bytes(RNG.randrange(256) for _ in range(RNG.randrange(1, 3000))) for _ in range(40)]  # any bytes at all


@pytest.fixture(scope="module")
def theirs() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


@pytest.mark.parametrize("text", [*TEXTS, *RAW], ids=range(len(TEXTS) + len(RAW)))
def test_scores_are_py3langids_own(theirs: LanguageIdentifier, text: str | bytes) -> None:
    ours = _get_identifier()
    assert ours.rank(text) == theirs.rank(text)
    assert np.array_equal(ours._decide(text), theirs._decide(text))


def _depths_and_strings(automaton: Any) -> tuple[Any, Any]:
    """Each state's depth (its shortest path from the start) and that path's bytes, right-aligned."""
    depth = np.full(len(automaton.row), -1)
    strings = np.zeros((len(depth), NGRAM_BYTES), dtype=np.intp)
    depth[0], frontier, level = 0, np.array([0]), 0
    while len(frontier):
        following = automaton.next_state[automaton.row[frontier][:, None] + EVERY_BYTE]
        rows, byte = np.nonzero(depth[following] < 0)
        reached, first = np.unique(following[rows, byte], return_index=True)
        level += 1
        depth[reached] = level
        strings[reached, :-1] = strings[frontier[rows[first]], 1:]
        strings[reached, -1] = byte[first]
        frontier = reached
    return depth, strings


def test_the_automaton_is_no_deeper_than_ngram_bytes() -> None:
    """Every state is reached, none deeper than NGRAM_BYTES, and a byte takes a state at most one deeper."""
    automaton = _get_identifier().automaton
    depth, _ = _depths_and_strings(automaton)
    assert (depth >= 0).all() and depth.max() == NGRAM_BYTES
    for start in range(0, len(depth), 8192):
        states = np.arange(start, min(start + 8192, len(depth)))
        following = automaton.next_state[automaton.row[states][:, None] + EVERY_BYTE]
        assert (depth[following] <= depth[states][:, None] + 1).all()


@pytest.mark.e2e  # 10-30 s: every state and byte
def test_a_state_depends_on_the_last_ngram_bytes_only() -> None:
    """The state after any text is the walk over its last NGRAM_BYTES bytes. With s(v) a state's shortest
    string, checked for every state v and byte c going to u: (1) s(u) ends s(v)c, so every text reaching a
    state ends with its string; (2) every end of s(v)c at least as long as s(u) walks from the start to u.
    By induction every end of a text at least as long as its state's string, the last NGRAM_BYTES bytes
    among them, reaches the same state."""
    automaton = _get_identifier().automaton
    depth, strings = _depths_and_strings(automaton)
    width = NGRAM_BYTES + 1
    for start in range(0, len(depth), 1024):
        states = np.arange(start, min(start + 1024, len(depth)))
        text = np.concatenate([np.repeat(strings[states], 256, axis=0), np.tile(EVERY_BYTE, len(states))[:, None]],
                              axis=1)  # s(v)c, right-aligned
        to = automaton.next_state[automaton.row[np.repeat(states, 256)] + np.tile(EVERY_BYTE, len(states))]
        from_depth, to_depth = np.repeat(depth[states], 256), depth[to]
        to_string = np.concatenate([np.zeros((len(to), 1), dtype=np.intp), strings[to]], axis=1)
        compared = np.arange(width)[None, :] >= (width - to_depth)[:, None]
        assert not ((text != to_string) & compared).any()
        for length in range(width + 1):
            chosen = (length >= to_depth) & (length <= from_depth + 1)
            state = np.zeros(int(chosen.sum()), dtype=np.intp)
            for column in range(width - length, width):
                state = automaton.next_state[automaton.row[state] + text[chosen, column]]
            assert (state == to[chosen]).all()


def _letters_by_patterns(text: str) -> tuple[int, int, int]:
    """(all, Cyrillic, Latin) letters as the run patterns count them: the counts before the table."""
    from crawler.extract import language

    def count(pattern: Any) -> int:
        return sum(map(len, pattern.findall(text)))

    return (count(language._LETTER_RE) - count(language._MODIFIER_RE), count(language._CYRILLIC_RE),
            count(language._LATIN_RE))


@pytest.mark.parametrize("start", range(0, 0x110000, 0x8800))
def test_letters_are_counted_as_the_patterns_count_them_in_all_of_unicode(start: int) -> None:
    from crawler.extract.language import _count_letters

    # Every code point, lone surrogates too, in slices whose runs cross the blocks' edges.
    text = "".join(map(chr, range(start, start + 0x8800)))
    for piece in (text, text[::7], text[::-3]):
        letters = _count_letters(piece)
        assert (letters.total, letters.cyrillic, letters.latin) == _letters_by_patterns(piece)


@pytest.mark.parametrize("text", TEXTS)
def test_a_samples_letters_are_counted_as_the_patterns_count_them(text: str) -> None:
    from crawler.extract.language import _count_letters

    for sample in (text, text.lower(), f"ʻOʻzbekiston ʼ{text}ˁ"):
        letters = _count_letters(sample)
        assert (letters.total, letters.cyrillic, letters.latin) == _letters_by_patterns(sample)
