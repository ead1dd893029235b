"""Two copies of the warehouse and a pointer to the published one, so that readers never
wait for the writer.

DuckDB lets one process write a database file, and no other process open it at all while it
does. So the writer never writes the copy readers open: it catches up the other copy (the
back), then publishes it by replacing the pointer file (an atomic rename). Readers read the
pointer and open the copy it names read-only; the next writer's session takes the copy that
is now the back, once the last reader that opened it before the switch has closed it (a
report takes under a second). A reader that meets the writer in that moment reads the
pointer again. Writers queue on a lock file: one at a time.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from ..base import WarehouseError

#: How long a writer waits for the other writer or a straggling reader, and a reader for
#: the moment of a switch, before giving up.
WAIT_SECONDS = 30.0
PAUSE = 0.02


class Copies:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.pointer = path.with_name(path.name + ".current")
        self.lock = path.with_name(path.name + ".lock")

    def copy(self, name: str) -> Path:
        return self.path.with_name(f"{self.path.stem}.{name}{self.path.suffix}")

    def front(self) -> str | None:
        """The published copy's name ("a" or "b"), or None before the first publication."""
        try:
            name = self.pointer.read_text().strip()
        except FileNotFoundError:
            return None
        return name if name in ("a", "b") else None

    def back(self) -> str:
        return "b" if self.front() == "a" else "a"

    def publish(self, name: str) -> None:
        temporary = self.pointer.with_name(self.pointer.name + ".tmp")
        temporary.write_text(name)
        os.replace(temporary, self.pointer)

    def seed_back(self, *, fresh: bool) -> Path:
        """The back copy, ready to write: emptied for a rebuild; copied from the front when
        it is missing (cheaper than reading the whole feed again)."""
        front, back = self.front(), self.copy(self.back())
        if fresh:
            remove(back)
        elif not back.exists() and front is not None and self.copy(front).exists():
            temporary = back.with_name(back.name + ".tmp")
            shutil.copyfile(self.copy(front), temporary)
            os.replace(temporary, back)
        return back

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock, "a") as handle:
            deadline = time.monotonic() + WAIT_SECONDS
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WarehouseError("another warehouse sync is running") from None
                    time.sleep(PAUSE * 10)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
