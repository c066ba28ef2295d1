"""The body model's faster evaluation gives the answers of the plain definitions, bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from crawler.extract.blocks import FEATURES
from crawler.extract.generic import CONTEXT_FEATURES, MAX_DEPTH, MODEL_PATH, Forest


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


def test_thresholds_between_float32_values_and_beyond_their_range_split_as_lightgbm_does() -> None:
    # The walk compares float32 inputs with float32 thresholds: one between two float32s, one on a float32,
    # ones beyond float32's range and infinite ones must still send each input the way x <= t does.
    between = float(np.float32(1.0)) + 2.0 ** -30
    cuts = [between, 1.0, 1e39, -1e39, np.inf, -np.inf, 0.1]
    trees = [{"feature": [k, -1, -1], "threshold": [t, 0, 0], "left": [1, -1, -1], "right": [2, -1, -1],
              "value": [0.0, -(2.0 ** k), 2.0 ** k]} for k, t in enumerate(cuts)]
    model = {"features": list(FEATURES), "trees": trees}
    f32 = np.finfo(np.float32)
    values = [1.0, float(np.nextafter(np.float32(1.0), np.float32(2.0))), between, 0.1, float(np.float32(0.1)),
              float(f32.max), -float(f32.max), 1e39, -1e39, np.inf, -np.inf, np.nan, 0.0]
    X = np.zeros((len(values) ** 2, len(FEATURES)))
    for column in range(len(cuts)):
        X[:, column] = np.resize(values, len(X)) if column % 2 else np.repeat(values, len(values))
    with np.errstate(over="ignore"):  # 1e39 cast to float32 overflows to inf, as LightGBM's cast does
        expected, got = _plain_predict(model, X), Forest(model).predict(X)
    assert np.array_equal(got, expected)


def test_a_model_deeper_than_the_layout_takes_is_refused() -> None:
    # Each level doubles every tree's slots: a chain of MAX_DEPTH + 1 inner nodes is refused, not laid out.
    depth = MAX_DEPTH + 1
    tree = {"feature": [0] * depth + [-1] * (depth + 1), "threshold": [0.5] * (2 * depth + 1),
            "left": [*range(1, depth + 1), *[-1] * (depth + 1)],
            "right": [*range(depth + 1, 2 * depth + 1), *[-1] * (depth + 1)], "value": [0.0] * (2 * depth + 1)}
    with pytest.raises(ValueError, match="levels deep"):
        Forest({"features": list(FEATURES), "trees": [tree]})
