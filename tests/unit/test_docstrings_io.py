"""Public functions and methods of ``glacvel_plugin/io/`` carry numpydoc docstrings.

An AST walk (no import of the modules) over every ``io/*.py`` file checks each public
function, and each public method of a public class:

- a docstring exists;
- if it takes parameters (``self``/``cls`` aside), a ``Parameters`` section names every
  one of them (``a, b : int`` lines and ``*args``/``**kwargs`` spellings count); a
  class's ``__init__`` parameters may instead be named in the class docstring;
- if its body returns a value (a ``return`` with an expression other than ``None``), a
  ``Returns`` section exists (``Yields`` for a generator).

Properties are documented as attributes and need neither section.
"""
import ast
import os
import re

from tests.conftest import ROOT

IO = os.path.join(ROOT, "glacvel_plugin", "io")

_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")


def sections(doc):
    """numpydoc section title → list of the section's lines (``doc`` as cleaned by
    :func:`ast.get_docstring`, so unindented)."""
    lines = (doc or "").splitlines()
    out, name = {}, None
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1]) and line.strip():
            name = line.strip()
            out[name] = []
            continue
        if _UNDERLINE.match(line):
            continue
        if name is not None:
            out[name].append(line)
    return out


def documented_names(section_lines):
    """Parameter names of a Parameters section: the unindented ``name : type`` lines."""
    names = set()
    for line in section_lines:
        if not line.strip() or line[:1].isspace():
            continue
        head = line.split(" : ")[0] if " : " in line else line.rstrip(":")
        for n in head.split(","):
            n = n.strip()
            if n:
                names.add(n.lstrip("*"))
    return names


def _params(fn, skip_first):
    a = fn.args
    names = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
    if skip_first and names:
        names = names[1:]
    if a.vararg:
        names.append(a.vararg.arg)
    if a.kwarg:
        names.append(a.kwarg.arg)
    return names


def _own_nodes(fn):
    """Nodes of ``fn``'s body, not descending into nested functions, lambdas or classes."""
    stack = list(fn.body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                      ast.ClassDef)):
                stack.append(child)


def _returns_value(fn):
    for node in _own_nodes(fn):
        if isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            return "Returns"
    for node in _own_nodes(fn):
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return "Yields"
    return None


def _decorators(fn):
    out = set()
    for d in fn.decorator_list:
        if isinstance(d, ast.Name):
            out.add(d.id)
        elif isinstance(d, ast.Attribute):
            out.add(d.attr)
    return out


def problems(source, label):
    """Every docstring shortfall of one module's source, as readable strings."""
    tree = ast.parse(source, label)
    found = []

    def check(fn, where, skip_first, class_doc=None):
        doc = ast.get_docstring(fn)
        decos = _decorators(fn)
        if "property" in decos or "setter" in decos:
            return
        if fn.name == "__init__":
            doc = "\n".join(d for d in (class_doc, doc) if d)
        elif not doc:
            found.append(f"{where}: no docstring")
            return
        secs = sections(doc)
        params = _params(fn, skip_first)
        if params:
            if "Parameters" not in secs:
                found.append(f"{where}: no Parameters section for {', '.join(params)}")
            else:
                missing = [p for p in params if p not in documented_names(secs["Parameters"])]
                if missing:
                    found.append(f"{where}: Parameters does not name {', '.join(missing)}")
        kind = _returns_value(fn)
        if kind and fn.name != "__init__" and kind not in secs:
            found.append(f"{where}: returns a value but has no {kind} section")

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            check(node, f"{label}:{node.name}", skip_first=False)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            class_doc = ast.get_docstring(node)
            if not class_doc:
                found.append(f"{label}:{node.name}: no class docstring")
            for item in node.body:
                if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                if item.name.startswith("_") and item.name != "__init__":
                    continue
                static = "staticmethod" in _decorators(item)
                check(item, f"{label}:{node.name}.{item.name}", skip_first=not static,
                      class_doc=class_doc)
    return found


NOT_YET_CONVERTED = {}
"""Modules (``"*"``) and functions whose docstrings are still to be written in numpydoc
form; remove an entry once it is converted."""


def io_modules():
    return sorted(os.path.join(IO, f) for f in os.listdir(IO) if f.endswith(".py"))


def _pending(module, problem):
    todo = NOT_YET_CONVERTED.get(module)
    if todo == "*":
        return True
    qual = problem.split(":")[1]
    return bool(todo) and qual.split(".")[0] in todo


def test_every_public_io_function_has_numpydoc_parameters_and_returns():
    modules = io_modules()
    assert len(modules) >= 15
    bad = []
    for path in modules:
        with open(path, encoding="utf-8") as f:
            found = problems(f.read(), os.path.relpath(path, ROOT))
        bad += [p for p in found if not _pending(os.path.basename(path), p)]
    assert not bad, "numpydoc docstrings missing or incomplete:\n" + "\n".join(bad)


GOOD = '''
def read(path, band=1, *, masked=True):
    """Read one band.

    Parameters
    ----------
    path : str
        A GeoTIFF.
    band, masked : int, bool
        Band number and masking.

    Returns
    -------
    numpy.ndarray
        float32 (rows, cols).
    """
    return path


class Reader:
    """A reader.

    Parameters
    ----------
    path : str
        The file.
    """

    def __init__(self, path):
        self.path = path

    @property
    def name(self):
        return self.path

    def close(self):
        """Close it."""
        self.path = None

    def _private(self, x):
        return x
'''


def test_the_check_passes_a_complete_docstring():
    assert problems(GOOD, "m.py") == []


def test_the_check_catches_injected_bad_docstrings():
    no_band = GOOD.replace("    band, masked : int, bool\n", "    masked : bool\n")
    assert problems(no_band, "m.py") == ["m.py:read: Parameters does not name band"]
    no_returns = GOOD.replace("    Returns\n    -------\n", "    Result\n\n")
    assert problems(no_returns, "m.py") == ["m.py:read: returns a value but has no Returns section"]
    no_params = GOOD.replace("    Parameters\n    ----------\n    path : str\n        The file.\n",
                             "")
    assert problems(no_params, "m.py") == ["m.py:Reader.__init__: no Parameters section for path"]
    undocumented = GOOD.replace('        """Close it."""\n', "")
    assert problems(undocumented, "m.py") == ["m.py:Reader.close: no docstring"]
    generator = GOOD.replace("    return path\n", "    yield path\n")
    assert problems(generator, "m.py") == ["m.py:read: returns a value but has no Yields section"]


def test_the_check_catches_a_parameter_dropped_from_a_real_io_docstring():
    path = os.path.join(IO, "product.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    assert problems(source, "product.py") == []
    entry = ("    window : rasterio.windows.Window, optional\n"
             "        Pixel window; default the whole raster.\n")
    assert source.count(entry) == 1
    bad = source.replace(entry, "")
    assert problems(bad, "product.py") == [
        "product.py:read_product: Parameters does not name window"]
