"""The body model's faster evaluation gives the answers of the plain definitions, bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from crawler.extract.blocks import FEATURES
from crawler.extract.generic import CONTEXT_FEATURES, MODEL_PATH, Forest


def _walk(tree: dict[str, list], row: np.ndarray) -> float:
    """One tree's leaf value for one row, node by node, as LightGBM defines it (float32 input, NaN right)."""
    k = 0
    while tree["feature"][k] >= 0:
        x = float(np.float32(row[tree["feature"][k]]))
        k = tree["left"][k] if x <= tree["threshold"][k] else tree["right"][k]
    return float(tree["value"][k])


def _plain_predict(model: dict, X: np.ndarray) -> np.ndarray:
    values = np.asarray([[_walk(tree, row) for row in X] for tree in model["trees"]])
    return 1.0 / (1.0 + np.exp(-values.sum(axis=0)))


@pytest.mark.parametrize("stage", ["first", "second"])
def test_the_shipped_forests_score_as_a_tree_by_tree_walk(stage: str) -> None:
    model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))[stage]
    width = len(FEATURES) + (len(CONTEXT_FEATURES) if stage == "second" else 0)
    rng = np.random.default_rng(7)
    # Values near the thresholds the trees test (both sides, and on them), some NaN.
    thresholds = np.asarray([t for tree in model["trees"] for t in tree["threshold"]])
    X = rng.choice(thresholds, size=(60, width)) + rng.choice([-1e-9, 0.0, 1e-9, 1.0], size=(60, width))
    X[rng.random(X.shape) < 0.02] = np.nan
    assert np.array_equal(Forest(model, second=stage == "second").predict(X), _plain_predict(model, X))


def test_trees_of_different_depths_each_stop_at_their_leaf() -> None:
    # A constant tree, a stump and a tree three levels deep on one side: leaves reached early stay put.
    constant = {"feature": [-1], "threshold": [0.0], "left": [-1], "right": [-1], "value": [0.25]}
    stump = {"feature": [1, -1, -1], "threshold": [0.5, 0, 0], "left": [1, -1, -1], "right": [2, -1, -1],
             "value": [0.0, -1.0, 2.0]}
    deep = {"feature": [0, -1, 0, -1, 0, -1, -1], "threshold": [1.0, 0, 2.0, 0, 3.0, 0, 0],
            "left": [1, -1, 3, -1, 5, -1, -1], "right": [2, -1, 4, -1, 6, -1, -1],
            "value": [0, 10.0, 0, 20.0, 0, 30.0, 40.0]}
    model = {"features": list(FEATURES), "trees": [constant, stump, deep]}
    X = np.zeros((6, len(FEATURES)))
    X[:, 0] = [0.0, 1.5, 2.5, 3.5, np.nan, 1.0]
    X[:, 1] = [0.0, 1.0, 0.0, 1.0, np.nan, 0.5]
    forest = Forest(model)
    assert forest.depth == 3
    assert np.array_equal(forest.predict(X), _plain_predict(model, X))


def test_the_case_odd_letters_are_all_that_lowercasing_reads_otherwise_than_ignorecase() -> None:
    import re
    import sys

    from crawler.extract.blocks import _BOILER_TEXT, _CASE_ODD

    letters = {c for c in _BOILER_TEXT.pattern if c not in "|? "}
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    matched = set(re.findall("[" + re.escape("".join(letters)) + "]", every, re.IGNORECASE))
    lowered = {c for c in every if c.lower() in letters}
    assert matched - lowered and all(_CASE_ODD.match(c) for c in matched ^ lowered)


@pytest.mark.parametrize("text", [
    "Share this", "SHARE", "Поделиться", "ПОДПИСАТЬСЯ на канал", "Log in", "LOGIN", "login", "log  in",
    "© 2025", "Фото: ТАСС", "ſhare this", "İmage", "ımage", "Sıgn up", "nothing to see", "", "Read More →",
    "коммᲀнтар", "КОММЕНТАРИИ", "ᲃᲂᲁᲄ", "Reuters/Getty", "ADVERTISEMENT",
])
def test_boilerplate_text_is_found_as_the_case_insensitive_rule_finds_it(text: str) -> None:
    from crawler.extract.blocks import _BOILER_TEXT, _boiler

    assert _boiler(text) == (_BOILER_TEXT.search(text) is not None)


@pytest.mark.parametrize("text", [
    "It ended.", "It ended.\n", "It ended.\n\n", "Did it?»", "«Да!»)", "So…", "No stop", "", ".", "')", "x'.",
    "He said \"go.\"  ", "终。", "Ends.'\n", "a.b", "\n", ".\n)",
])
def test_a_sentence_end_is_read_as_the_rule_reads_it(text: str) -> None:
    from crawler.extract.blocks import _SENTENCE_END, _ends_sentence

    assert _ends_sentence(text) == (_SENTENCE_END.search(text) is not None)
