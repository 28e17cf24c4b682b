"""Layers: queries/ is the core the pages and the CLI share, so it never imports Streamlit or the app; and the app
uses Streamlit's public API only, since private modules change without notice between releases.

Secrets are read at the edge (dashboard.py, the CLI) and passed in (warehouse.configure); charts and other drawing
live in app/. The checks read the source, so an import inside a function counts as much as one at the top.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("streamlit", "app", "pages")
PRIVATE_STREAMLIT = ("streamlit.runtime", "streamlit.elements", "streamlit.dataframe_util")


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


def imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of everything a module imports, at any depth: `from a.b import c` names both a.b and
    a.b.c, because c may be a module (`from streamlit import dataframe_util`)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
              and getattr(node.func, "id", getattr(node.func, "attr", None)) in ("import_module", "__import__")
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return found


def private_streamlit(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every import of a private Streamlit module."""
    return sorted({(line, name) for line, name in imported_names(tree)
                   if any(name == p or name.startswith(p + ".") for p in PRIVATE_STREAMLIT)})


def test_the_check_sees_imports_at_any_depth():
    source = ("import os\nfrom pages import charts\n\ndef f():\n    import streamlit as st\n"
              "    import importlib\n    importlib.import_module('app.shell')\n")
    assert imported(ast.parse(source)) == [(1, "os"), (2, "pages"), (5, "streamlit"), (6, "importlib"),
                                           (7, "app")]


def test_the_check_sees_private_streamlit_imports_in_every_form():
    source = ("import streamlit as st\nfrom streamlit import dataframe_util\nimport streamlit.runtime.pages_manager\n"
              "from streamlit.column_config import NumberColumn\n\ndef f():\n"
              "    from streamlit.elements.arrow import marshall\n"
              "    import importlib\n    importlib.import_module('streamlit.runtime')\n"
              "    from streamlit.dataframe_util import convert_anything_to_arrow_bytes\n")
    assert private_streamlit(ast.parse(source)) == [
        (2, "streamlit.dataframe_util"), (3, "streamlit.runtime.pages_manager"),
        (7, "streamlit.elements.arrow"), (7, "streamlit.elements.arrow.marshall"), (9, "streamlit.runtime"),
        (10, "streamlit.dataframe_util"), (10, "streamlit.dataframe_util.convert_anything_to_arrow_bytes")]


def test_queries_never_imports_streamlit_or_the_app():
    modules = sorted((ROOT / "queries").rglob("*.py"))
    assert modules
    offending = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                 for path in modules for line, name in imported(ast.parse(path.read_text(), str(path)))
                 if name in FORBIDDEN]
    assert not offending, "queries/ must not depend on Streamlit or the app:\n" + "\n".join(offending)


def test_nothing_imports_a_private_streamlit_module():
    modules = [ROOT / "dashboard.py", *sorted((ROOT / "app").rglob("*.py")), *sorted((ROOT / "queries").rglob("*.py"))]
    assert len(modules) > 20
    offending = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                 for path in modules for line, name in private_streamlit(ast.parse(path.read_text(), str(path)))]
    assert not offending, "use Streamlit's public API only:\n" + "\n".join(offending)


def test_streamlit_finds_no_legacy_pages_folder():
    """A pages/ folder beside the entry script switches Streamlit to its legacy multipage mode, which lists the
    folder's files as a menu before st.navigation runs."""
    assert (ROOT / "dashboard.py").exists() and not (ROOT / "pages").exists()
