"""One DuckDB instance per process and warehouse, a cursor for each caller, and the hand-over of an embedded file
between the dashboard's server and another process that wants it (docs/architecture.md, "One instance per
process").

DuckDB connections are not thread-safe, and opening one file twice in a process races: a thread that closes its
connection can tear the instance down while another thread opens it ("Unique file handle conflict"). So every
caller here checks out its own cursor of the one shared instance, and the instance is opened and closed only under
this module's lock, when nobody holds a cursor.

An embedded file can be open in one process at a time, so two kinds of process share it differently:
- the dashboard's server (`serve()`) keeps its instance open between reads, and lets go of it as soon as another
  process announces that it wants the file, or after a quiet minute;
- any other process (the CLI, a script, a test) announces itself by holding an advisory lock on `<file>.intent`
  while its instance is open, opens the file when the server has let go, and closes it when its last cursor
  is returned.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
from typing import Callable

import duckdb

from . import environment

try:
    import fcntl
except ImportError:  # not POSIX: no hand-over signal; the CLI then waits for the server's idle release
    fcntl = None

# How long a server keeps an unused embedded instance open. While it is open nobody else can write the file; a
# process that announces itself is let in at once, so this only bounds how long an unannounced one waits.
IDLE_RELEASE_SECONDS = environment.seconds("DASHBOARD_IDLE_RELEASE", 60, 86400)
WATCH_INTERVAL_SECONDS = 0.1

_serving = False
_held = threading.local()  # how many cursors this thread holds, per warehouse: a holder never waits for itself


class Unavailable(Exception):
    """The instance could not be had before the deadline (another process holds or wants the file)."""


def serve(on: bool = True) -> None:
    """Declare this process the dashboard's server: keep instances open between reads, yield to announced writers.
    (Tests switch it off again between tests.)"""
    global _serving
    _serving = on


def intent_path(location: str) -> str:
    return f"{location}.intent"


def writer_waiting(location: str) -> bool:
    """Does another process hold (or wait for) the file, announced by its lock on `<file>.intent`?"""
    if fcntl is None:
        return False
    try:
        handle = os.open(intent_path(location), os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:  # e.g. created by another user without read access: then no announcement can be seen
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(handle)  # also drops the shared lock, if taken
    return False


def announce(location: str, deadline: float) -> int | None:
    """Take `<file>.intent` exclusively, waiting for other announced processes up to the deadline; close the
    returned descriptor to let go. (Compaction holds it while no instance of the file is open at all.)"""
    if fcntl is None:
        return None
    # Readable by all: a server running as another user must be able to see the announcement (the file is empty).
    handle = os.open(intent_path(location), os.O_RDWR | os.O_CREAT, 0o644)
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(handle)
                raise Unavailable("another process is importing") from None
            time.sleep(0.01)  # flock has no queue: a short poll keeps a waiting import from being passed over


class SharedInstance:
    """The one instance of a warehouse in this process, with the count of cursors checked out of it."""

    def __init__(self, location: str, opener: Callable[[float], duckdb.DuckDBPyConnection], embedded: bool):
        self.location = location
        self.opener = opener  # opener(deadline) -> a migrated instance, or raises
        self.embedded = embedded
        self.instance: duckdb.DuckDBPyConnection | None = None
        self.opening = False  # one thread opens, outside the lock; the others wait for it up to their deadlines
        self.broken = False  # DuckDB invalidated the instance (a fatal error): replaced once nobody uses it
        self.generation = 0  # bumped by every open, so a release watcher of an earlier open stops
        self.users = 0
        self.last_used = time.monotonic()
        self.intent: int | None = None
        self.opened_count = 0  # how often the instance was opened: tests and the benchmark read it
        self.cond = threading.Condition()

    def _yields(self) -> bool:
        return self.embedded and _serving and writer_waiting(self.location)

    def _wait(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Unavailable("another process is importing, or the warehouse is being opened")
        self.cond.wait(min(remaining, WATCH_INTERVAL_SECONDS))

    def checkout(self, deadline: float) -> duckdb.DuckDBPyConnection:
        holds = getattr(_held, self.location, 0)
        with self.cond:
            # An announced writer gets the file before new readers; a thread already holding a cursor goes on.
            while not holds and self._yields():
                self._wait(deadline)
            while self.instance is None or (self.broken and not self.users):
                if self.opening:
                    self._wait(deadline)
                    continue
                if self.broken:
                    self._close()
                self.opening = True
                self.cond.release()  # opening can wait for the file: nobody else waits on this lock meanwhile
                try:
                    opened = self._open(deadline)
                finally:
                    self.cond.acquire()
                    self.opening = False
                    self.cond.notify_all()
                self.instance = opened
            self.users += 1
            instance = self.instance
        try:
            cursor = instance.cursor()
        except BaseException:
            self._return()
            raise
        setattr(_held, self.location, holds + 1)
        return cursor

    def checkin(self, broken: bool = False) -> None:
        """Give a cursor back; `broken` when DuckDB said the instance is no longer usable."""
        setattr(_held, self.location, max(0, getattr(_held, self.location, 1) - 1))
        self._return(broken)

    def _return(self, broken: bool = False) -> None:
        with self.cond:
            self.users -= 1
            self.last_used = time.monotonic()
            self.broken |= broken
            if self.users == 0 and (self.broken or self.embedded and (not _serving
                                                                      or writer_waiting(self.location))):
                self._close()
            self.cond.notify_all()

    def _open(self, deadline: float) -> duckdb.DuckDBPyConnection:
        """Open the instance (called without the lock held); the caller stores it."""
        if self.embedded and not _serving:
            self.intent = announce(self.location, deadline)
        try:
            instance = self.opener(deadline)
        except BaseException:
            self._drop_intent()
            raise
        self.opened_count += 1
        self.generation += 1
        if self.embedded and _serving:
            threading.Thread(target=self._watch, args=(self.generation,), name="warehouse-release",
                             daemon=True).start()
        return instance

    def _close(self) -> None:
        instance, self.instance, self.broken = self.instance, None, False
        try:
            if instance is not None:
                with contextlib.suppress(duckdb.Error):  # an invalidated instance may refuse to close cleanly
                    instance.close()
        finally:
            self._drop_intent()

    def _drop_intent(self) -> None:
        if self.intent is not None:
            os.close(self.intent)  # releases the lock
            self.intent = None

    def _watch(self, generation: int) -> None:
        """While a server holds the file: let go of it when idle, or as soon as another process announces itself."""
        while True:
            time.sleep(WATCH_INTERVAL_SECONDS)
            with self.cond:
                if self.instance is None or self.generation != generation:
                    return
                if self.users == 0 and (time.monotonic() - self.last_used >= IDLE_RELEASE_SECONDS
                                        or writer_waiting(self.location)):
                    self._close()
                    self.cond.notify_all()
                    return

    def release(self) -> bool:
        """Close the instance now if nobody uses it; True when it is closed."""
        with self.cond:
            if self.users or self.opening:
                return False
            self._close()
            return True


_instances: dict[str, SharedInstance] = {}
_instances_lock = threading.Lock()


def shared(location: str, opener: Callable[[float], duckdb.DuckDBPyConnection], embedded: bool) -> SharedInstance:
    with _instances_lock:
        found = _instances.get(location)
        if found is None:
            found = _instances[location] = SharedInstance(location, opener, embedded)
        return found


def known(location: str) -> SharedInstance | None:
    return _instances.get(location)


def release(location: str | None = None) -> None:
    """Close the instance(s) that nobody uses now (tests copy files; the benchmark starts cold)."""
    with _instances_lock:
        chosen = [i for key, i in _instances.items() if location is None or key == location]
    for instance in chosen:
        if not instance.release():
            raise RuntimeError(f"{instance.users} cursor(s) of this warehouse are still in use")


@atexit.register
def _close_all() -> None:
    for instance in list(_instances.values()):
        with contextlib.suppress(Exception):
            instance.release()
