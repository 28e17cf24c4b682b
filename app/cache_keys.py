"""Cache keys for the pages' cached reads and charts, made from the arguments' repr.

Streamlit's caches hash every argument by walking it object by object. For a page's dozen reads and charts (a rubric
with all its criteria, filter dataclasses, a year of rows) that cost more than the rest of a warm run at 200,000
people. The arguments here are plain values (dates, numbers, strings, tuples, lists, dicts and frozen dataclasses of
those), whose repr is exact, so the repr is the key and the arguments themselves are passed unhashed.
"""
from __future__ import annotations


def key(args: tuple, kwargs: dict) -> str:
    for value in (*args, *kwargs.values()):
        if hasattr(value, "to_numpy"):  # a DataFrame's repr is abridged: two frames could share one
            raise TypeError("pass rows (a list of dicts), not a DataFrame, to a cached read or chart")
    text = repr((args, sorted(kwargs.items())))
    if " object at 0x" in text:  # a default repr names the object, not its value: the cache would never hit
        raise TypeError("a cached read or chart was given an argument without a value repr: " + text[:200])
    return text
