"""Body-text scoring exactly as the article-extraction benchmark defines it:
4-token shingles with repeats; precision averaged over pages with a
prediction, recall over all pages, F1 of the two averages. Titles and authors:
exact match after NFC and whitespace collapsing (case kept), and token F1."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

_TOKEN = re.compile(r"\w+")


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """Runs of 4 consecutive tokens, counted; 1-3 tokens make one shingle."""
    tokens = _TOKEN.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < 4:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3))


@dataclass
class Score:
    """Running totals over pages."""

    precisions: list[float] = field(default_factory=list)
    recalls: list[float] = field(default_factory=list)
    exact: int = 0

    def add(self, predicted: str, truth: str) -> None:
        pred, true = shingles(predicted), shingles(truth)
        tp = sum((pred & true).values())
        if pred:
            self.precisions.append(tp / sum(pred.values()))
        self.recalls.append(tp / sum(true.values()) if true else (1.0 if not pred else 0.0))
        self.exact += _TOKEN.findall(predicted or "") == _TOKEN.findall(truth or "")

    @property
    def pages(self) -> int:
        return len(self.recalls)

    @property
    def precision(self) -> float:
        return sum(self.precisions) / len(self.precisions) if self.precisions else 0.0

    @property
    def recall(self) -> float:
        return sum(self.recalls) / len(self.recalls) if self.recalls else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        return self.exact / self.pages if self.pages else 0.0


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


# Names as the truth joins them ("A, B and C", "A & B"): compared name by name, so a list of names
# joined with ", " matches "A, B and C".
_NAME_JOINS = re.compile(r"\s*(?:,|&|\band\b)\s*")


def author_names(text: str) -> list[str]:
    """The names in a joined author string, in order."""
    return [name for name in _NAME_JOINS.split(_plain(text)) if name]


@dataclass
class Matches:
    """Running exact-match and token-F1 totals of a text field (title, authors) over pages."""

    pages: int = 0
    exact: int = 0
    f1_sum: float = 0.0

    def add(self, predicted: str, truth: str, names: bool = False) -> None:
        pred, true = _plain(predicted), _plain(truth)
        self.pages += 1
        self.exact += author_names(pred) == author_names(true) if names else pred == true
        shared = sum((Counter(_TOKEN.findall(pred)) & Counter(_TOKEN.findall(true))).values())
        if shared:
            p, r = shared / len(_TOKEN.findall(pred)), shared / len(_TOKEN.findall(true))
            self.f1_sum += 2 * p * r / (p + r)

    @property
    def exact_share(self) -> float:
        return self.exact / self.pages if self.pages else 0.0

    @property
    def f1(self) -> float:
        return self.f1_sum / self.pages if self.pages else 0.0
