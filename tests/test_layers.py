"""Layers: queries/ is the core the pages and the CLI share, so it never imports Streamlit or the app.

Secrets are read at the edge (dashboard.py, the CLI) and passed in (warehouse.configure); charts and other drawing
live in app/. The checks read the source, so an import inside a function counts as much as one at the top.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("streamlit", "app", "pages")


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in a module, at any depth."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
              and getattr(node.func, "id", getattr(node.func, "attr", None)) in ("import_module", "__import__")
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value.split(".")[0]))
    return found


def test_the_check_sees_imports_at_any_depth():
    source = ("import os\nfrom pages import charts\n\ndef f():\n    import streamlit as st\n"
              "    import importlib\n    importlib.import_module('app.shell')\n")
    assert imported(ast.parse(source)) == [(1, "os"), (2, "pages"), (5, "streamlit"), (6, "importlib"),
                                           (7, "app")]


def test_queries_never_imports_streamlit_or_the_app():
    modules = sorted((ROOT / "queries").rglob("*.py"))
    assert modules
    offending = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                 for path in modules for line, name in imported(ast.parse(path.read_text(), str(path)))
                 if name in FORBIDDEN]
    assert not offending, "queries/ must not depend on Streamlit or the app:\n" + "\n".join(offending)


def test_streamlit_finds_no_legacy_pages_folder():
    """A pages/ folder beside the entry script switches Streamlit to its legacy multipage mode, which lists the
    folder's files as a menu before st.navigation runs."""
    assert (ROOT / "dashboard.py").exists() and not (ROOT / "pages").exists()
