"""Script runs take turns (app/turns.py): never more than the set number at once, first come first served, a place
always given back, and the modules' objects frozen out of the garbage collector's sight once per new import."""
import gc
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import turns


def _crowd(gate: turns.Turns, people: int, work=lambda: time.sleep(0.002)) -> tuple[int, list[int]]:
    """`people` threads each take a turn and work inside it; returns the most inside at once and who got in when."""
    inside, most, order = 0, 0, []
    lock = threading.Lock()

    def visit(number: int) -> None:
        nonlocal inside, most
        with gate.turn():
            with lock:
                inside += 1
                most = max(most, inside)
                order.append(number)
            work()
            with lock:
                inside -= 1

    threads = [threading.Thread(target=visit, args=(n,)) for n in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a run never got its turn"
    return most, order


@settings(max_examples=25, deadline=None)
@given(slots=st.integers(min_value=1, max_value=4), people=st.integers(min_value=1, max_value=24))
def test_never_more_runs_at_once_than_places_and_every_run_gets_one(slots, people):
    gate = turns.Turns(slots)
    most, order = _crowd(gate, people)
    assert most <= slots
    assert sorted(order) == list(range(people))  # everyone got in, once
    assert gate.waiting() == 0 and gate._free == slots  # every place came back


def test_first_come_first_served():
    """With one place taken, runs that arrive one after another get in in the order they arrived: a place given
    back goes to the longest waiter, never to a run that just came."""
    gate = turns.Turns(1)
    gate.acquire()  # a run is drawing its page
    order = []

    def wait_then_enter(number: int) -> None:
        with gate.turn():
            order.append(number)

    threads = []
    for number in range(8):
        thread = threading.Thread(target=wait_then_enter, args=(number,))
        thread.start()
        threads.append(thread)
        deadline = time.monotonic() + 10
        while gate.waiting() < number + 1:  # this one is queued before the next arrives
            assert time.monotonic() < deadline
            time.sleep(0.001)
    gate.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order == list(range(8))


def test_a_run_that_fails_or_reruns_gives_its_place_back():
    gate = turns.Turns(1)

    class Rerun(BaseException):  # Streamlit's rerun and stop are BaseExceptions
        pass

    for error in (ValueError("a page failed"), Rerun()):
        with pytest.raises(type(error)):
            with gate.turn():
                raise error
        assert gate._free == 1
    most, _ = _crowd(gate, 4)
    assert most == 1


def test_a_write_steps_aside_and_comes_back_first_in_line():
    """A run importing a file gives its place to the viewers waiting, and takes it back before any run that came
    after them; a run that has no place (the queue is off) simply writes."""
    gate = turns.Turns(1)
    entered, writing, wrote = [], threading.Event(), threading.Event()

    def importer() -> None:
        with gate.turn():
            entered.append("importer")
            with gate.aside():
                writing.set()
                assert wrote.wait(10)  # the write lasts until the viewers below have been served
            entered.append("importer again")

    def viewer(number: int) -> None:
        with gate.turn():
            entered.append(f"viewer {number}")

    first = threading.Thread(target=importer)
    first.start()
    assert writing.wait(10)
    viewers = [threading.Thread(target=viewer, args=(n,)) for n in range(3)]
    for thread in viewers:
        thread.start()
        thread.join(timeout=10)  # served while the import writes: none waits for it
        assert not thread.is_alive()
    gate.acquire()  # a run arrives and holds the place as the write ends ...
    late = threading.Thread(target=viewer, args=(99,))
    late.start()
    deadline = time.monotonic() + 10
    while gate.waiting() < 1:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    wrote.set()
    while gate.waiting() < 2:  # ... the importer queues to come back, behind nobody
        assert time.monotonic() < deadline
        time.sleep(0.001)
    gate.release()
    first.join(timeout=10)
    late.join(timeout=10)
    assert entered == ["importer", "viewer 0", "viewer 1", "viewer 2", "importer again", "viewer 99"]
    lone = turns.Turns(1)
    with lone.aside():  # a run without a place in this queue has nothing to give, and takes nothing after
        assert lone._free == 1
    assert lone._free == 1 and lone.waiting() == 0


def test_a_cache_miss_steps_aside_and_takes_its_place_back_after_the_cache_lets_go():
    """A run whose read misses the cache gives its place away while it waits on the warehouse, and takes it back
    first in line when the cached call has returned; a run that ends owing its place gives nothing back twice."""
    gate = turns.Turns(1)
    entered, reading, read = [], threading.Event(), threading.Event()

    def cold_run() -> None:
        with gate.turn():
            entered.append("cold run")
            gate.step_aside()  # inside the cached computation
            gate.step_aside()  # a second miss in the same read: still one place owed
            reading.set()
            assert read.wait(10)
            gate.come_back()  # after the cached call returned
            entered.append("cold run, back")

    first = threading.Thread(target=cold_run)
    first.start()
    assert reading.wait(10)
    most, _ = _crowd(gate, 3)  # warm runs are served while the cold one reads
    assert most == 1
    read.set()
    first.join(timeout=10)
    assert entered == ["cold run", "cold run, back"] and gate._free == 1

    with gate.turn():  # a run ending while it still owes its place (its read raised): the place is not freed twice
        gate.step_aside()
    assert gate._free == 1 and gate.waiting() == 0


def test_a_run_started_again_queues_first():
    gate = turns.Turns(1)
    gate.acquire()
    order = []

    def run(name: str, first: bool) -> None:
        with gate.turn(first=first):
            order.append(name)

    waiting = threading.Thread(target=run, args=("waiting", False))
    waiting.start()
    while gate.waiting() < 1:
        time.sleep(0.001)
    again = threading.Thread(target=run, args=("started again", True))
    again.start()
    while gate.waiting() < 2:
        time.sleep(0.001)
    gate.release()
    waiting.join(timeout=10)
    again.join(timeout=10)
    assert order == ["started again", "waiting"]


def test_zero_places_turns_the_queue_off():
    gate = turns.Turns(0)
    started = threading.Barrier(6, timeout=10)  # only passes if all six are inside at once
    most, order = _crowd(gate, 6, work=started.wait)
    assert most == 6 and len(order) == 6


def test_the_number_of_places_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DASHBOARD_CONCURRENT_RUNS", "3")
    assert turns._configured() == 3
    monkeypatch.setenv("DASHBOARD_CONCURRENT_RUNS", "0")
    assert turns._configured() == 0
    monkeypatch.setenv("DASHBOARD_CONCURRENT_RUNS", "lots")
    assert turns._configured() == 1
    monkeypatch.delenv("DASHBOARD_CONCURRENT_RUNS")
    assert turns._configured() == 1


def test_the_code_is_frozen_once_per_new_import(monkeypatch):
    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(turns, "_frozen_modules", 0)
    turns.freeze_the_code()
    turns.freeze_the_code()  # nothing new imported: nothing to do
    assert calls == ["freeze"]
    import sys
    monkeypatch.setitem(sys.modules, "a_module_a_page_imported_later", object())
    turns.freeze_the_code()
    assert calls == ["freeze", "freeze"]


def test_streamlit_does_not_collect_all_garbage_after_every_run():
    """The project's config turns Streamlit's full collection after each run off (app/turns.py says why)."""
    import tomllib

    from conftest import ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
