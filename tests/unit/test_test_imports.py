"""Test modules never import one another: shared builders live in tests/helpers.py and
shared fixtures in a conftest.py, so a test file can be read, moved or deleted alone."""
import ast
import os

from tests.conftest import ROOT


def _is_test_module(dotted):
    return dotted.split(".")[-1].startswith("test_")


def _is_module_file(package, name):
    """Whether ``name`` imported from ``package`` (a folder) is a module file, not an attribute."""
    return os.path.isfile(os.path.join(package, name + ".py"))


def imported_test_modules(path):
    """(line, imported test module) for every import of a ``test_*`` module in ``path``:
    ``import tests.unit.test_x``, ``from tests.unit.test_x import …``,
    ``from tests.unit import test_x`` and the relative forms ``from .test_x import …``,
    ``from . import test_x`` (``from tests.conftest import test_data`` imports a function)."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if _is_test_module(a.name)]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if node.module and _is_test_module(node.module):
                found.append((node.lineno, module))
                continue
            base = ROOT if node.level == 0 else os.path.dirname(os.path.abspath(path))
            for _ in range(max(node.level - 1, 0)):
                base = os.path.dirname(base)
            package = os.path.join(base, *(node.module or "").split(".")) if node.module else base
            found += [(node.lineno, module + ("." if node.module else "") + a.name)
                      for a in node.names
                      if _is_test_module(a.name) and _is_module_file(package, a.name)]
    return found


def _python_files(*folders):
    return [os.path.join(d, f) for folder in folders
            for d, _, fs in os.walk(os.path.join(ROOT, folder)) for f in fs if f.endswith(".py")]


def test_no_imported_test_modules_another_test_module():
    files = _python_files("tests", "benchmarks")
    assert any(f.endswith(os.path.join("tests", "helpers.py")) for f in files)
    assert sum(os.path.basename(f).startswith("test_") for f in files) >= 30
    bad = [(os.path.relpath(f, ROOT), line, name)
           for f in files for line, name in imported_test_modules(f)]
    assert not bad, ("these files import a test module; move what they share into "
                     f"tests/helpers.py (builders) or a conftest.py (fixtures): {bad}")


def test_the_check_catches_every_import_form(tmp_path):
    p = tmp_path / "test_m.py"
    (tmp_path / "test_dialogs.py").write_text("")
    p.write_text("import numpy\nfrom tests.helpers import warp\nfrom tests.conftest import ROOT\n"
                 "from tests.unit.test_correlation_engine import fourier_shift\n"
                 "import tests.qgis.test_styling as s\nfrom tests.qgis import test_reliability\n"
                 "from tests.conftest import test_data\n"
                 "from .test_fusion_algs import L8\nfrom . import test_dialogs\n"
                 "def f():\n    from tests.qgis.test_desktop_polish import kaskawulsh_product\n")
    assert sorted(imported_test_modules(str(p))) == [
        (4, "tests.unit.test_correlation_engine"), (5, "tests.qgis.test_styling"),
        (6, "tests.qgis.test_reliability"), (8, ".test_fusion_algs"), (9, ".test_dialogs"),
        (11, "tests.qgis.test_desktop_polish")]
