"""Import boundaries the architecture relies on (docs/architecture.md, "Rules").

- ``core/`` stays numpy/scipy (and numba for the kernels) only: no QGIS, PyQt, GDAL's
  osgeo bindings or rasterio.
- ``processing_provider/``, ``gui/`` and ``styling.py`` reach files only through
  ``io/``: no rasterio, fiona or osgeo imports, at module level or inside functions.
"""
import ast
import os

from tests.conftest import ROOT

FORBIDDEN = ("qgis", "PyQt5", "PyQt6", "osgeo", "rasterio")
"""Top-level packages ``core/`` may not import."""

FILE_ACCESS = ("rasterio", "fiona", "osgeo")
"""File-access packages that ``processing_provider/``, ``gui/`` and ``styling.py`` may not import."""

PLUGIN = os.path.join(ROOT, "glacvel_plugin")


def _imports(path):
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _modules(*parts):
    top = os.path.join(PLUGIN, *parts)
    if top.endswith(".py"):
        return [top]
    return [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs if f.endswith(".py")]


def _violations(modules, forbidden):
    return [(os.path.relpath(m, ROOT), name) for m in modules for name in _imports(m)
            if name.split(".")[0] in forbidden]


def test_core_has_no_qgis_pyqt_osgeo_imports():
    modules = _modules("core")
    assert len(modules) >= 2
    bad = _violations(modules, FORBIDDEN)
    assert not bad, f"core modules import forbidden packages: {bad}"


def test_provider_gui_and_styling_open_no_files_themselves():
    modules = _modules("processing_provider") + _modules("gui") + _modules("styling.py")
    names = {os.path.relpath(m, PLUGIN) for m in modules}
    assert {"styling.py", os.path.join("processing_provider", "alg_analysis.py"),
            os.path.join("gui", "timeseries.py")} <= names
    bad = _violations(modules, FILE_ACCESS)
    assert not bad, ("these modules open files themselves; move the read/write into a "
                     f"function in glacvel_plugin/io/ and call it: {bad}")


def test_the_check_catches_a_forbidden_import(tmp_path):
    p = tmp_path / "m.py"
    p.write_text("import numpy\nfrom qgis.core import QgsRasterLayer\n")
    assert [n for n in _imports(str(p)) if n.split(".")[0] in FORBIDDEN] == ["qgis.core"]


def test_the_check_catches_file_access_inside_a_function(tmp_path):
    p = tmp_path / "m.py"
    p.write_text("from . import io\n\ndef f():\n    import rasterio.warp\n"
                 "    from osgeo import gdal\n    import fiona\n")
    assert _violations([str(p)], FILE_ACCESS) == [
        (os.path.relpath(str(p), ROOT), "rasterio.warp"),
        (os.path.relpath(str(p), ROOT), "osgeo"),
        (os.path.relpath(str(p), ROOT), "fiona")]
