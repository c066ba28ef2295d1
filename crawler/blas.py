"""One OpenBLAS thread in a crawl's processes (``OPENBLAS_NUM_THREADS=1`` unless the environment sets it).

numpy's OpenBLAS starts a thread per core as numpy is imported, and each spins for a while after its start and
after each call: about 0.1 s of CPU per process on a 2-core machine (a crawl process and its extraction worker),
for matrix work no stage here needs. The language model's one vector-matrix product a page gives the same float32
scores either way. Set before numpy is imported: Scrapy loads the project's settings before any command module.
"""

from __future__ import annotations

from collections.abc import MutableMapping

VARIABLE = "OPENBLAS_NUM_THREADS"


def one_thread(environ: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """``environ`` with OpenBLAS held to one thread, unless it says how many already."""
    environ.setdefault(VARIABLE, "1")
    return environ
