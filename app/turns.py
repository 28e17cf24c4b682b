"""Script runs take turns: at most a few runs of the app draw at once in one server process, in the order they came.

Streamlit gives every script run its own thread, and Python's GIL lets one of them run Python at a time. Sixteen
viewers opening a page at once would otherwise all run side by side, each getting a sixteenth of the interpreter,
so every one of them finished near the end, and the switching between sixteen threads and the server's event loop
cost more than the pages themselves (bench/RESULTS.md, "Many viewers at once"). With turns, the first viewers are
served first and the last wait no longer than their place in the queue: queueing, never more than queueing.

`DASHBOARD_CONCURRENT_RUNS` sets how many runs draw at once (default 1: warm pages are Python work, which the GIL
runs one at a time anyway); 0 turns the queue off. A run that writes (an import, an undo, a checklist answer, the
digest being mailed) steps aside for the write, and a cache miss for its read, so viewers are not held up by
them, and comes back first in line.
docs/architecture.md explains the choice.
"""
from __future__ import annotations

import collections
import contextlib
import gc
import os
import sys
import threading


class Turns:
    """A first-come, first-served gate with `slots` places: a place given back goes straight to the longest waiter,
    so a run that just arrived never overtakes one that is waiting."""

    def __init__(self, slots: int):
        self.slots = slots
        self._lock = threading.Lock()
        self._free = slots
        self._waiting: collections.deque[threading.Event] = collections.deque()

    def acquire(self, first: bool = False) -> None:
        """Take a place, waiting behind the runs already waiting (or, `first`, ahead of them: a run coming back
        from a write it stepped aside for was let in before any of them)."""
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            ticket = threading.Event()
            if first:
                self._waiting.appendleft(ticket)
            else:
                self._waiting.append(ticket)
        ticket.wait()  # set by release(), which hands its place to this run

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1

    @contextlib.contextmanager
    def turn(self, first: bool = False):
        """A place for the block (a whole script run): `first` queues ahead of the runs waiting, for a run that
        has to start again (the data moved while it read) after it had waited its turn once."""
        if self.slots <= 0 or getattr(_holding, "turns", None) is self:  # the queue is off, or this run has a place
            yield
            return
        self.acquire(first)
        _holding.turns = self
        try:
            yield
        finally:
            _holding.turns = None
            if getattr(_holding, "owed", False):  # a read stepped aside and the run ended before it came back
                _holding.owed = False
            else:
                self.release()

    def step_aside(self) -> None:
        """Give this run's place to the next waiting run while it waits on the warehouse (a cache miss: DuckDB
        works outside the GIL, and an import in another process may hold the file for a while), and owe it:
        come_back() takes it back, first in line. Called inside the cached read's computation, where taking a place
        back could wait on a run that waits on that computation; so the place is taken back after it."""
        if getattr(_holding, "turns", None) is self and not getattr(_holding, "owed", False):
            _holding.owed = True
            self.release()

    def come_back(self) -> None:
        if getattr(_holding, "turns", None) is self and getattr(_holding, "owed", False):
            self.acquire(first=True)
            _holding.owed = False

    @contextlib.contextmanager
    def aside(self):
        """Give this run's place to the next waiting run during a long write, and take it back first in line.
        Only around writes: the block must not read through app/cache.py, whose single-flight lock a run with
        a place may be waiting on."""
        self.step_aside()  # nothing to give when the queue is off or the run has no place (a test's run)
        try:
            yield
        finally:
            self.come_back()

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)


_holding = threading.local()  # .turns: the gate this thread's run has a place in


def _configured() -> int:
    try:
        return max(0, int(os.environ.get("DASHBOARD_CONCURRENT_RUNS", "1")))
    except ValueError:
        return 1


RUNS = Turns(_configured())


def turn(first: bool = False):
    """`with turns.turn():` around a whole script run (app/guard.py)."""
    return RUNS.turn(first)


def step_aside() -> None:
    """In a cache miss, before the warehouse is read (app/cache.py); come_back() after the cached call."""
    RUNS.step_aside()


def come_back() -> None:
    RUNS.come_back()


def aside():
    """`with turns.aside(), warehouse.opened() as conn:` around a write in a page (see Turns.aside)."""
    return RUNS.aside()


_frozen_modules = 0
_freezing = threading.Lock()


def freeze_the_code() -> None:
    """Move what the imported modules hold out of the garbage collector's sight (gc.freeze), once more whenever a
    run has imported new ones. Streamlit collects all garbage after every script run (`runner.postScriptGC`): with
    pandas, Altair and DuckDB loaded, that full collection walked every object of every module and cost three
    times the page itself, with the GIL held, so concurrent viewers queued behind each other's collections. Frozen
    objects are never collected, which is right for code and module state: it lives as long as the process."""
    global _frozen_modules
    if len(sys.modules) == _frozen_modules or os.environ.get("DASHBOARD_GC_FREEZE") == "0":  # 0: bench/turns.py
        return
    with _freezing:
        if len(sys.modules) != _frozen_modules:
            gc.collect()  # the garbage of the runs so far is collected, not frozen
            gc.freeze()
            _frozen_modules = len(sys.modules)
