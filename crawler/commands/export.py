"""``scrapy export``: stored articles of every run, newest published first, as JSON lines, CSV or
Parquet, to a file or stdout, streamed from one cursor (flat memory whatever the store's size).

``--processes N`` (default: the cores this process may use, but one for under ``SMALL_JOB`` articles,
which workers would not write sooner) encodes the records in N worker processes, a few batches ahead,
written in order: the output is the same byte for byte whatever N. A worker that dies (killed, out of
memory) is replaced and its batches run again; only a batch that kills a fresh worker of its own too
stops the export.

Filters: ``--site a,b``, ``--language L``, ``--since D`` / ``--until D`` (publication day or ISO time,
inclusive), ``--story-originals-only``, ``--search WORDS`` (the title and body word index). No page
HTML and no near-duplicate signature unless ``--with-html``. A progress bar on stderr when it is a
terminal. On stdout that is a terminal the JSON lines or CSV have their control characters written as escapes
(``\\x9b``), as ``scrapy articles`` writes them; a file or a pipe gets the stored text byte for byte (Parquet is
refused on a terminal: a usage error naming ``-o FILE``). ``-o FILE`` is
written as ``FILE.part`` and renamed when complete (a symlink's target so; a FILE that is no regular file, ``/dev/null``
or a pipe, is written to as it is). Ctrl-C (exit 130) or SIGTERM (exit 143; to the whole process
group too, as systemd sends it: the workers ignore it) stops the export after a whole batch: stdout then ends with a
whole record, and no ``FILE`` (nor ``FILE.part``) is left.
"""

from __future__ import annotations

import argparse
import codecs
import errno
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO, cast

from scrapy.exceptions import UsageError

from crawler.cli import silence_stdout
from crawler.output_file import output_problem, part_of, written_in_place
from crawler.storage.store import store_errors
from crawler.store_command import StoreCommand, check_sites

# The export's own modules are imported where used: Scrapy imports every command's module for any command,
# a crawl too, and a crawl has no use for them (nor for multiprocessing's pool).
if TYPE_CHECKING:
    from crawler.export.writers import ExportWriter
    from crawler.parallel import Isolation
    from crawler.storage.store import ArticleStore

BATCH = 200  # articles read, converted and written at a time (about 100 KB of memory each while converted)
SMALL_JOB = 5_000  # articles (about a second to write): fewer are written by this process alone


# What a file's extension says it holds: ``-o x.csv`` wrote JSON lines into it, with exit status 0.
EXTENSION_FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def _output_format(given: str | None, output: str) -> str:
    """The format to write: ``--format``, else the one ``-o``'s extension names, else JSON lines; a usage error when
    the two contradict each other (``--format jsonl -o x.csv``)."""
    named = None if output == "-" else EXTENSION_FORMATS.get(os.path.splitext(output)[1].lower())
    if given and named and given != named:
        raise UsageError(f"--format {given} contradicts -o {output!r}, a .{named} file's name: "
                         f"give one of them, or both alike", print_help=False)
    return given or named or "jsonl"


class Command(StoreCommand):
    reads_only = True

    def short_desc(self) -> str:
        return "Export stored articles (every run's) as JSON lines, CSV or Parquet, newest first"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        from crawler.export.options import add_query_options
        from crawler.export.writers import FORMATS
        from crawler.parallel import add_processes_option

        super().add_options(parser)
        add_query_options(parser)
        parser.add_argument("--until", help="published on or before this day (YYYY-MM-DD) or ISO 8601 time")
        parser.add_argument("--story-originals-only", action="store_true",
                            help="only the original of each story (no near copies)")
        parser.add_argument("--format", choices=FORMATS,
                            help="output format (default: the -o file's extension, .csv or .parquet, else jsonl)")
        parser.add_argument("-o", "--output", default="-", metavar="FILE", help="output file, - for stdout (default)")
        parser.add_argument("--with-html", action="store_true",
                            help="add each article's stored page (html) and its minhash and lsh_bands")
        add_processes_option(parser, "turn records into the output format", f"under {SMALL_JOB:,} articles")

    def check(self, args: list[str], opts: argparse.Namespace) -> None:
        from crawler.export.options import query_from
        from crawler.export.writers import parquet_available

        super().check(args, opts)
        self.query = query_from(opts)
        problem = None if opts.output == "-" else output_problem("-o", opts.output)
        if problem:
            raise UsageError(problem, print_help=False)
        opts.format = _output_format(opts.format, opts.output)
        if opts.format == "parquet" and not parquet_available():
            raise UsageError("--format parquet needs pyarrow: pip install '.[parquet]'", print_help=False)
        if opts.format == "parquet" and opts.output == "-" and sys.stdout.isatty():
            raise UsageError("--format parquet is binary, not for a terminal: write it to a file with -o FILE "
                             "(or pipe it)", print_help=False)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        from crawler.export.writers import open_writer
        from crawler.parallel import WorkerDied, stop_reason, stop_signals

        store = self.open_store(word_index=self.query.search is not None)
        if store is None:
            return
        try:
            check_sites(store, self.query.sites)  # before FILE is created; a store error takes the path below
            with stop_signals(), _output(opts.output) as out:
                out = _for_terminal(out) if shows_text(opts.output, opts.format, sys.stdout) else out
                count = self._export(store, open_writer(opts.format, out, opts.with_html), opts)
        except BrokenPipeError:
            silence_stdout()  # the reader (``| head``) has all it wanted
            return
        except store_errors() as exc:  # the store or the output failed (OSError): no partial FILE left as if complete
            self.stopped("export", exc)
            return
        except WorkerDied as exc:
            sys.stderr.write(f"The export stopped: {exc}\n")
            self.exitcode = 1
            return
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: the workers are stopped; no FILE, nor FILE.part, left
            reason, self.exitcode = stop_reason(exc)
            sys.stderr.write(f"The export was stopped ({reason})\n")
            return
        finally:
            store.close()
        if opts.output != "-" or not count:
            sys.stderr.write(f"{count} articles exported{'' if opts.output == '-' else ' to ' + opts.output}\n")

    def _export(self, store: ArticleStore, writer: ExportWriter, opts: argparse.Namespace) -> int:
        from crawler.export.progress import Progress
        from crawler.export.records import SIGNATURE_FIELDS
        from crawler.export.rows import close_reader
        from crawler.parallel import ordered_map, processes_for, whole

        query = self.query.filter()
        total = store.count_articles(query=query) if sys.stderr.isatty() else None
        progress = Progress(sys.stderr, total) if total is not None else None
        count = 0
        hidden = () if opts.with_html else SIGNATURE_FIELDS
        batches, convert, start, startargs = _plan(store, query, hidden, opts)
        opts.processes = processes_for(opts.processes, lambda: store.count_articles(query=query, at_most=SMALL_JOB)
                                       if total is None else total, SMALL_JOB)
        encoded = ordered_map(convert, batches, opts.processes, start, startargs, isolation=_run_again())
        try:
            with closing(encoded):
                for docs, (n, chunk) in encoded:
                    with whole():  # stdout ends with a whole record, whenever the export is stopped
                        writer.put(chunk)
                    count += n
                    if progress is not None:
                        progress.advance(len(docs))
        finally:
            close_reader()  # this process's, when it read the records itself (one process)
        writer.close()
        if progress is not None:
            progress.finish()
        for column, values in getattr(writer, "emptied", {}).items():
            sys.stderr.write(f"{values} values of {column} do not fit its Parquet type: written as null "
                             "(the JSON lines export has them)\n")
        return count


def _gave_up(batch: list[Any], reason: str) -> Any:
    from crawler.parallel import WorkerDied

    raise WorkerDied(f"a batch of {len(batch)} articles was run again in a worker of its own, and {reason}")


def _run_again() -> Isolation:
    """A batch whose worker died runs again, alone, in a fresh worker (a killed or starved worker is replaced);
    one that kills that one too ends the export, as a batch cannot be left out of it."""
    from crawler.parallel import Isolation

    return Isolation(split=lambda batch: [batch], join=lambda parts: parts[0], died=_gave_up)


Plan = tuple[Iterator[list[Any]], Callable[[list[Any]], tuple[int, Any]], Callable[..., None] | None, tuple[Any, ...]]


def _plan(store: ArticleStore, query: dict[str, Any], hidden: tuple[str, ...], opts: argparse.Namespace) -> Plan:
    """The batches to hand out, what turns one into ``(articles, encoded chunk)`` and the workers' set-up.

    Over the embedded store the workers read the records themselves, by row id (:mod:`crawler.export.rows`);
    from MongoDB this process reads them as BSON bytes and the workers decode them; with pages, this process
    reads the pages by the records' ids, so it decodes the records."""
    from crawler.export.records import with_pages
    from crawler.export.rows import encode_rows, open_reader
    from crawler.export.writers import counted, encode, encode_stored

    if opts.with_html:
        batches = (with_pages(batch, store.page_htmls([d["_id"] for d in batch]))
                   for batch in store.stream_articles(query, exclude=hidden, batch=BATCH))
        return batches, partial(counted, partial(encode, opts.format, opts.with_html)), None, ()
    if not store.target.uri:
        return (store.stream_article_rows(query, batch=BATCH), partial(encode_rows, opts.format, False, hidden),
                open_reader, (str(store.target.embedded_path),))
    return (store.stream_articles(query, exclude=hidden, batch=BATCH, raw=True),
            partial(counted, partial(encode_stored, opts.format, False, hidden)), None, ())


@contextmanager
def _output(path: str) -> Iterator[BinaryIO]:
    """stdout for ``-``; a file that is no regular file (a device, a pipe) written to as it is; else ``path`` (a
    symlink's target), written as ``<it>.part`` and renamed once complete: renamed over ``/dev/null`` or a pipe, the
    part replaced it (root replaced the device node)."""
    if path == "-":
        yield _whole(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    if written_in_place(path):
        with open(path, "wb") as handle:
            yield _whole(handle)
        return
    target, part = part_of(path)
    try:
        with part.open("wb") as handle:
            yield _whole(handle)
        part.replace(target)
    finally:
        part.unlink(missing_ok=True)


def shows_text(output: str, fmt: str, stdout: TextIO) -> bool:
    """Whether the export is text (JSON lines, CSV) written to ``stdout`` that is a terminal: shown, not kept, so
    a stored control character (a C1 CSI the store keeps, a C0 escape of an older record) is written as its escape
    (:func:`~crawler.text.shown_lines`), as ``scrapy articles`` writes it. A file, a pipe, Parquet: byte for byte."""
    return output == "-" and fmt != "parquet" and stdout.isatty()


class _Whole:
    """``out`` whose writes are written whole. A buffered stream returns a short count, not an error, when the disk
    fills during a write: stdout redirected onto a full disk kept 13 of 14 records, exit 0. The rest is written
    again, and a disk that takes none of it raises (``No space left on device``)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def write(self, data: bytes) -> int:
        view = memoryview(data).cast("B")
        total = len(view)
        while view:
            written = self.out.write(view)
            if not written:  # a non-blocking stream that took nothing
                raise OSError(errno.EAGAIN, "the output took none of a write")
            view = view[written:]
        return total

    def __getattr__(self, name: str) -> Any:
        return getattr(self.out, name)


def _whole(out: BinaryIO) -> BinaryIO:
    return cast("BinaryIO", _Whole(out))


class _Shown:
    """A binary stream onto ``out`` that writes the UTF-8 text it is given with :func:`~crawler.text.shown_lines`."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.decoder = codecs.getincrementaldecoder("utf-8")("backslashreplace")

    def write(self, data: bytes) -> int:
        from crawler.text import shown_lines

        self.out.write(shown_lines(self.decoder.decode(data)).encode("utf-8"))
        return len(data)

    def flush(self) -> None:
        self.out.flush()


def _for_terminal(out: BinaryIO) -> BinaryIO:
    return cast("BinaryIO", _Shown(out))

