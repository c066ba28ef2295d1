"""Train the generic body classifier (``crawler/extract/body_model.json``) on the benchmark's dev sets.

``python scripts/train_body_model.py --folds 0`` writes the shipped model (the data is
``../shared/benchmarks/article-extraction`` or ``$BENCHMARK_DATA``; ``pip install -e .[train]`` for LightGBM
4.7). Other flags: ``[--data DIR] [--out FILE] [--folds 2] [--seed 7] [--inner-folds 2] [--cache FILE]
[--no-write]``. It cuts every page into blocks (:mod:`crawler.extract.blocks`), labels each block with the share of its
4-word runs found in the page's true text (a block of fewer words by whether it is there among the words
around it), and fits two gradient-boosted tree models to it (the second
also reading the first's out-of-fold view of the block's neighbours, containers, look-alikes and the run
of text it sits in; LightGBM, needed here only: the product reads the trees from JSON with numpy). Each
page weighs the same, its blocks by their words (the benchmark averages precision and recall over pages).
With ``--folds`` N > 0 it first reports held-out body F1 by N-fold cross-validation, the pages split by a hash
of their id (a fold never sees the pages it is scored on), per set and per set and the type the page declares
itself (article, listing, unknown); then it fits on every page and writes the model, the same whatever N.

The file is a function of its inputs: the same code, data, parameters and LightGBM version write the same bytes,
with or without AVX-512 (no date in it; :func:`crawler.extract.generic.context_features` reads the first model's
scores as float32 and ranks equal ones equal, and the second model learns from float32 inputs, as
:class:`crawler.extract.generic.Forest` reads them). It records the parameters and a digest of the training inputs
(every page's block features, labels, texts and layout), which ``tests/test_body_model_reproducible.py`` recomputes:
a change to the features, labels or blocks without retraining fails there. ``--cache`` reuses pages cut by an
earlier run as they are, whatever the code now does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.bench.extraction import DEFAULT_DATA, load_pages
from crawler.bench.scoring import Score, shingles
from crawler.extract import generic
from crawler.extract.blocks import FEATURES, table_rows

SETS = ("aeb-dev", "wcxb-dev")
PARAMS = {
    "objective": "cross_entropy", "learning_rate": 0.12, "num_leaves": 31, "min_data_in_leaf": 50,
    "feature_fraction": 0.7, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0, "verbose": -1,
    "max_depth": 6, "num_threads": 1, "seed": 7,
}
ROUNDS = 120
# The second model learns from the first's out-of-fold view: the more folds, the closer that view is to the
# first model's at run time (trained on all the pages).
INNER_FOLDS = 2


def _labels(texts: list[str], truth: str) -> np.ndarray:
    """Per block, the share of its 4-word runs found in the true text. A block shorter than a run is read
    with the words around it (the last three of the blocks before, the first three after): a menu item
    whose word the article happens to use is not the article's, a subheading or a table cell in its place is."""
    import re

    truth_shingles = set(shingles(truth))
    truth_tokens = re.findall(r"\w+", truth)
    joined = f" {' '.join(truth_tokens)} "
    tokens = [re.findall(r"\w+", text) for text in texts]
    labels = np.zeros(len(texts), dtype=np.float32)
    for i, own in enumerate(tokens):
        if len(own) >= 4:
            runs = [tuple(own[k:k + 4]) for k in range(len(own) - 3)]
            labels[i] = sum(run in truth_shingles for run in runs) / len(runs)
        elif own and f" {' '.join(own)} " in joined:
            before = [t for j in range(max(0, i - 3), i) for t in tokens[j]][-3:]
            after = [t for j in range(i + 1, min(len(tokens), i + 4)) for t in tokens[j]][:3]
            words = [*before, *own, *after]
            runs = [tuple(words[k:k + 4]) for k in range(len(words) - 3)]
            # The block alone is the whole text, or it sits among its neighbours as the page shows it.
            labels[i] = 1.0 if not runs else float(any(run in truth_shingles for run in runs))
    return labels


def build(data: Path) -> dict[str, list]:
    """Per page: features, labels, block texts, truth."""
    pages: dict[str, list] = {"set": [], "id": [], "X": [], "y": [], "texts": [], "truth": [], "title": [],
                              "layout": [], "table": [], "type": []}
    for name in SETS:
        for page in load_pages(data / name):
            title, blocks, rows, page_type = generic.page_inputs_for_training(page.html, page.url)
            pages["set"].append(name)
            pages["id"].append(page.id)
            pages["X"].append(np.asarray(rows, dtype=np.float32).reshape(-1, len(FEATURES)))
            pages["y"].append(_labels([b.text for b in blocks], page.body))
            pages["texts"].append([b.text for b in blocks])
            pages["truth"].append(page.body)
            pages["title"].append(title)
            pages["layout"].append(generic.layout_of(blocks))
            pages["table"].append(table_rows(blocks))
            pages["type"].append(page_type)
    return pages


def _fold(page_id: str, folds: int) -> int:
    return int(hashlib.sha256(page_id.encode()).hexdigest(), 16) % folds


def _weights(y: np.ndarray, texts: list[str]) -> np.ndarray:
    """Each block counts by its words, each page equally (the score averages pages)."""
    words = np.asarray([max(1, len(t.split())) for t in texts], dtype=np.float32)
    return words / max(1.0, float(words.sum())) * 100


def _stack(pages: dict[str, list], indices: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = np.concatenate([pages["X"][i] for i in indices])
    y = np.concatenate([pages["y"][i] for i in indices])
    w = np.concatenate([_weights(pages["y"][i], pages["texts"][i]) for i in indices])
    return X, (y >= 0.5).astype(np.float32) if PARAMS["objective"] == "binary" else y, w


def _fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, rounds: int) -> object:
    import lightgbm

    return lightgbm.train(PARAMS, lightgbm.Dataset(X, y, weight=w, free_raw_data=False), rounds)


def _context(pages: dict[str, list], i: int, p: np.ndarray) -> np.ndarray:
    # float32, as the second forest reads its inputs at run time (and the first's already are).
    return np.hstack([pages["X"][i], generic.context_features(p, pages["layout"][i])]).astype(np.float32)


def inputs_digest(pages: dict[str, list]) -> str:
    """A digest of what the models learn from: each page's id, block features, labels, texts and layout."""
    digest = hashlib.sha256()
    for i, page_id in enumerate(pages["id"]):
        layout = pages["layout"][i]
        digest.update(json.dumps([page_id, pages["texts"][i]], ensure_ascii=False).encode())
        for array in (pages["X"][i], pages["y"][i], layout.chars, layout.ancestors, layout.style):
            digest.update(repr((array.dtype.str, array.shape)).encode())
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def trained_on(pages: dict[str, list], rounds: int) -> dict:
    """What the written model records of its training (no date: a rerun writes the same bytes)."""
    import lightgbm

    return {"sets": list(SETS), "pages": len(pages["id"]), "rounds": rounds, "inner_folds": INNER_FOLDS,
            "params": dict(PARAMS), "lightgbm": lightgbm.__version__, "inputs": inputs_digest(pages)}


def train(pages: dict[str, list], indices: list[int], rounds: int) -> tuple[object, object]:
    """The first model on the block features, the second on those and the first's out-of-fold view of
    the block's neighbours and containers."""
    X, y, w = _stack(pages, indices)
    first = _fit(X, y, w, rounds)
    oof: dict[int, np.ndarray] = {}
    for inner in range(INNER_FOLDS):
        part = [i for i in indices if _fold(pages["id"][i] + "/inner", INNER_FOLDS) != inner]
        rest = [i for i in indices if _fold(pages["id"][i] + "/inner", INNER_FOLDS) == inner]
        model = generic.Forest(export(_fit(*_stack(pages, part), rounds)))
        for i in rest:
            oof[i] = model.predict(pages["X"][i]) if len(pages["X"][i]) else np.zeros(0)
    X2 = np.concatenate([_context(pages, i, oof[i]) for i in indices if len(pages["X"][i])])
    second = _fit(X2, y, w, rounds)
    return first, second


def predictor(first: object, second: object):  # type: ignore[no-untyped-def]
    one, two = generic.Forest(export(first)), generic.Forest(export(second, second=True), second=True)

    def predict(pages: dict[str, list], i: int) -> np.ndarray:
        return two.predict(_context(pages, i, one.predict(pages["X"][i])))
    return predict


def score(pages: dict[str, list], indices: list[int], predict) -> dict[str, Score]:  # type: ignore[no-untyped-def]
    from crawler.extract.cleanup import clean_paragraphs

    scores: dict[str, Score] = {}
    for i in indices:
        texts = pages["texts"][i]
        kept = generic.choose(texts, predict(pages, i), pages["title"][i], pages["X"][i],
                              pages["table"][i]) if texts else []
        paragraphs, _ = clean_paragraphs(kept, [])
        for key in (pages["set"][i], f"{pages['set'][i]} {pages['type'][i]}"):
            scores.setdefault(key, Score()).add("\n".join(paragraphs), pages["truth"][i])
    return scores


def _flat(structure: dict) -> dict[str, list]:
    """One tree as arrays: node ``i`` splits on ``feature[i]`` at ``threshold[i]`` (``<=`` goes left), or is a
    leaf (``feature[i] == -1``) worth ``value[i]``."""
    tree: dict[str, list] = {"feature": [], "threshold": [], "left": [], "right": [], "value": []}

    def add(node: dict) -> int:
        index = len(tree["feature"])
        for key, empty in (("feature", -1), ("threshold", 0.0), ("left", -1), ("right", -1), ("value", 0.0)):
            tree[key].append(empty)
        if "leaf_value" in node:
            tree["value"][index] = node["leaf_value"]
            return index
        tree["feature"][index] = node["split_feature"]
        tree["threshold"][index] = node["threshold"]
        # Features are always numbers (never missing), so LightGBM's missing-value direction is not kept.
        tree["left"][index] = add(node["left_child"])
        tree["right"][index] = add(node["right_child"])
        return index

    add(structure)
    return tree


def export(booster, second: bool = False) -> dict:  # type: ignore[no-untyped-def]
    """The trees as flat arrays (see :class:`crawler.extract.generic.Forest`)."""
    trees = [_flat(tree["tree_structure"]) for tree in booster.dump_model()["tree_info"]]
    return {"features": [*FEATURES, *(generic.CONTEXT_FEATURES if second else ())], "trees": trees}


def main(argv: list[str] | None = None) -> int:
    global INNER_FOLDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=Path(generic.MODEL_PATH))
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--learning-rate", type=float, default=PARAMS["learning_rate"])
    parser.add_argument("--leaves", type=int, default=PARAMS["num_leaves"])
    parser.add_argument("--seed", type=int, default=PARAMS["seed"],
                        help="LightGBM's seed: the held-out F1 moves by a few thousandths with it alone")
    parser.add_argument("--inner-folds", type=int, default=INNER_FOLDS,
                        help="folds of the first model's out-of-fold view the second model learns from")
    parser.add_argument("--objective", default=PARAMS["objective"], choices=("binary", "cross_entropy"),
                        help="binary: a block is body when most of its words are; cross_entropy: the share itself")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--cache", type=Path, help="keep the cut pages in this file between runs")
    args = parser.parse_args(argv)
    PARAMS.update(learning_rate=args.learning_rate, num_leaves=args.leaves, objective=args.objective, seed=args.seed)
    INNER_FOLDS = args.inner_folds
    started = time.time()
    if args.cache and args.cache.exists():
        pages = pickle.loads(args.cache.read_bytes())
    else:
        pages = build(args.data)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(pages))
    print(f"{len(pages['id'])} pages, {sum(len(x) for x in pages['X'])} blocks in {time.time() - started:.0f} s")
    held_out: dict[str, Score] = {}
    for fold in range(args.folds):
        train_ix = [i for i, pid in enumerate(pages["id"]) if _fold(pid, args.folds) != fold]
        test_ix = [i for i, pid in enumerate(pages["id"]) if _fold(pid, args.folds) == fold]
        first, second = train(pages, train_ix, args.rounds)
        for name, fold_score in score(pages, test_ix, predictor(first, second)).items():
            held_out.setdefault(name, Score())
            held_out[name].precisions += fold_score.precisions
            held_out[name].recalls += fold_score.recalls
            held_out[name].exact += fold_score.exact
    for name, s in sorted(held_out.items()):  # per set, and per set and the type the page declares
        print(f"held-out {name}: pages {s.pages} P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f}")
    if not args.no_write:
        first, second = train(pages, list(range(len(pages["id"]))), args.rounds)
        model = {"first": export(first), "second": export(second, second=True)}
        booster = second
        model["trained"] = trained_on(pages, args.rounds)
        args.out.write_text(json.dumps(model, separators=(",", ":")), encoding="utf-8")
        names = [*FEATURES, *generic.CONTEXT_FEATURES]
        importance = Counter(dict(zip(names, booster.feature_importance("gain"), strict=True)))
        print("top features:", ", ".join(f"{k} {v:.0f}" for k, v in importance.most_common(15)))
        print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
