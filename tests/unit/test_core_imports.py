"""core/ must stay free of QGIS, PyQt and GDAL's osgeo bindings (numpy/scipy only)."""
import ast
import os

from tests.conftest import ROOT

FORBIDDEN = ("qgis", "PyQt5", "PyQt6", "osgeo", "rasterio")


def _imports(path):
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_core_has_no_qgis_pyqt_osgeo_imports():
    core = os.path.join(ROOT, "glacvel_plugin", "core")
    modules = [os.path.join(d, f) for d, _, fs in os.walk(core) for f in fs if f.endswith(".py")]
    assert len(modules) >= 2
    bad = [(os.path.relpath(m, ROOT), name) for m in modules for name in _imports(m)
           if name.split(".")[0] in FORBIDDEN]
    assert not bad, f"core modules import forbidden packages: {bad}"


def test_the_check_catches_a_forbidden_import(tmp_path):
    p = tmp_path / "m.py"
    p.write_text("import numpy\nfrom qgis.core import QgsRasterLayer\n")
    assert [n for n in _imports(str(p)) if n.split(".")[0] in FORBIDDEN] == ["qgis.core"]
