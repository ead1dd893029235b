"""The generator's stream made in a process of its own, so that a load uses both cores: one
generates while the other writes. Python runs one thread at a time, so a loader thread
overlapped with generating only while SQLite ran a statement (docs/synthetic.md).

The batches cross a pipe pickled, their postings packed in flat lists (BulkBatch.__reduce__).
A pipe holds little, so the generator waits while the loader is a batch behind: at most a
batch or two are in flight, as memory needs."""

from __future__ import annotations

import gc
import pickle
import queue
import struct
import subprocess
import sys
import threading
import traceback
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import IO, TypeVar

from ..store.base import BulkBatch
from .options import Options
from .stream import generate

#: A full collection this often (in batches). The generator makes no cyclic garbage to
#: speak of, but millions of live objects (people, the month's plan) that the collector
#: scanned again and again: with it on, generating a posting took 84 microseconds, 49 off.
_COLLECT_EVERY = 40
#: Each message on the pipe: its length and CRC-32, then its pickle. The check costs
#: milliseconds a batch; without it a damaged message could unpickle into a wrong bank (a
#: debugger that stops the child mid-write, py-spy without --nonblocking, damaged them here).
_HEAD = struct.Struct("<QI")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Failed:
    text: str


class GeneratorFailed(RuntimeError):
    """The generating process failed or ended before its last batch (killed, out of memory)."""


def generated_apart(options: Options, password_hash: str) -> Generator[BulkBatch, None, None]:
    """generate(options, password_hash), the same batches in the same order, made in a child
    process (`python -m flaskbank.synthetic.apart`: its own command, so that nothing of the
    caller's program runs again in it, as multiprocessing's spawn would run an unguarded
    script). Stopping early (closing the iterator, an error while loading) stops the child."""
    child = subprocess.Popen(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", __name__],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None  # noqa: S101 - PIPEs asked
    # A thread reads the next batch off the pipe (without the GIL) while this one is
    # unpickled and loaded here: unpickled on that thread, it held the GIL against the
    # loading, and the two took turns.
    messages = ahead(_messages(child.stdout))
    try:
        child.stdin.write(pickle.dumps((options, password_hash)))
        child.stdin.close()
        for data in messages:
            item = _unpickled(data)
            if item is None:
                return
            if isinstance(item, _Failed):
                raise GeneratorFailed(f"generating failed:\n{item.text}")
            yield item
        raise GeneratorFailed(
            f"the generating process ended before its last batch (exit code {_exit_code(child)})"
        )
    finally:
        if child.poll() is None:
            child.kill()  # first: the reading thread then meets the pipe's end and stops
        messages.close()
        child.wait()
        child.stdout.close()


def ahead(items: Iterator[T]) -> Generator[T, None, None]:
    """The items, each next one made on a thread of its own while the caller works on this
    one; one waits at most. Stopping early stops the thread at its next item; an error
    while making one is raised here."""
    ready: queue.Queue[tuple[bool, T | BaseException | None]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def offer(item: tuple[bool, T | BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for item in items:
                if not offer((True, item)):
                    return
            offer((False, None))
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            offer((False, e))

    maker = threading.Thread(target=make, name="made-ahead", daemon=True)
    maker.start()
    try:
        while True:
            more, item = ready.get()
            if not more:
                if isinstance(item, BaseException):
                    raise item
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        maker.join()


def _messages(stream: IO[bytes]) -> Iterator[bytes]:
    while (data := _read(stream)) is not None:
        yield data


def _read(stream: IO[bytes]) -> bytes | None:
    """One message (its length and CRC-32, then its bytes); None at an end before a whole
    one, GeneratorFailed if it arrived damaged."""
    head = stream.read(_HEAD.size)
    if len(head) < _HEAD.size:
        return None
    size, crc = _HEAD.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        return None
    if zlib.crc32(data) != crc:
        raise GeneratorFailed("a batch from the generating process arrived damaged")
    return data


def _unpickled(data: bytes) -> BulkBatch | _Failed | None:
    # A batch is some 200,000 new objects and none of them garbage: the collector would
    # scan them several times over while they are made.
    enabled = gc.isenabled()
    gc.disable()
    try:
        item: BulkBatch | _Failed | None = pickle.loads(data)  # noqa: S301 - our own child
    finally:
        if enabled:
            gc.enable()
    return item


def _exit_code(child: subprocess.Popen[bytes]) -> int | None:
    try:
        return child.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return None


def _send(out: IO[bytes], item: object) -> None:
    data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEAD.pack(len(data), zlib.crc32(data)))
    out.write(data)
    out.flush()


def main() -> None:
    """The child: options in on stdin, batches out on stdout, nothing else written there."""
    out = sys.stdout.buffer
    gc.disable()
    try:
        options, password_hash = pickle.load(sys.stdin.buffer)  # noqa: S301 - our parent
        for number, batch in enumerate(generate(options, password_hash), 1):
            _send(out, batch)
            if number % _COLLECT_EVERY == 0:
                gc.collect()
        _send(out, None)
    except (BrokenPipeError, KeyboardInterrupt):
        return  # the loading side stopped; so do we
    except BaseException:  # noqa: BLE001 - reported to the loading side, which raises it
        _send(out, _Failed(traceback.format_exc()))


if __name__ == "__main__":
    # By its own name, so that what it pickles (_Failed) unpickles on the other side.
    from flaskbank.synthetic.apart import main as child_main

    child_main()
