"""Velocity time series at a point: sampling, plot data, CSV/PNG export, the map tool
and its dock driven by a simulated click. Products are built from the real CARST
Kaskawulsh Landsat-8 velocities in demo/data (tests/helpers.py kaskawulsh_product)."""
import csv
import datetime as dt
import os

import numpy as np
import pytest
import rasterio

from tests.helpers import kaskawulsh_product


@pytest.fixture
def products(qgis_app, tmp_path):
    """Three products of one grid: a March pair, its m/yr twin a month later, a monthly one.

    Returns (paths, point x, y in the product CRS, expected v, vx, vy, v_error m/d)."""
    from glacvel_plugin.io.product import standard_tags, write_product
    p1, b = kaskawulsh_product(tmp_path / "L8_pair.tif")
    # the same field a month later, written in m/yr with its own dates (ITS_LIVE units)
    with rasterio.open(p1) as ds:
        names = list(ds.descriptions)
        arrays = {n: ds.read(i + 1).astype(np.float32) for i, n in enumerate(names)}
        transform, crs = ds.transform, ds.crs
    yr = {k: (a * 365.25 * 1.5 if k in ("v", "vx", "vy", "v_error") else a) for k, a in arrays.items()}
    p2 = str(tmp_path / "S2_later.tif")
    tags = standard_tags("S2", dt.datetime(2018, 4, 10), dt.datetime(2018, 4, 20), "test")
    tags["UNITS"] = "m/yr"
    write_product(p2, yr, transform, crs, tags)
    p3, _ = kaskawulsh_product(tmp_path / "201802.tif", start=dt.datetime(2018, 2, 1),
                               end=dt.datetime(2018, 3, 1))
    v = b["v"]
    r, c = np.argwhere(np.isfinite(v) & np.isfinite(b["v_error"]) & (v > np.nanpercentile(v, 80)))[0]
    x, y = transform * (c + 0.5, r + 0.5)
    expect = {k: float(b[k][r, c]) for k in ("v", "vx", "vy", "v_error")}
    return [p1, p2, p3], x, y, expect


def test_sampling_and_plot_data(products, tmp_path):
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsPointXY, QgsProject

    from glacvel_plugin.gui.timeseries import plot_data, sample_products, write_csv
    paths, x, y, e = products
    with rasterio.open(paths[0]) as ds:
        crs = QgsCoordinateReferenceSystem.fromWkt(ds.crs.to_wkt())
    # the click arrives in another CRS (WGS 84): transformed to each product's CRS
    wgs = QgsCoordinateReferenceSystem("EPSG:4326")
    pt = QgsCoordinateTransform(crs, wgs, QgsProject.instance()).transform(QgsPointXY(x, y))
    samples = sample_products(paths, pt, wgs)
    assert [s.name for s in samples] == ["201802", "L8 2018-03-04 → 2018-04-05", "S2 2018-04-10 → 2018-04-20"]
    feb, pair, later = samples
    assert feb.monthly and not pair.monthly
    for k in ("v", "vx", "vy", "v_error"):
        assert getattr(pair, k) == pytest.approx(e[k], rel=1e-6)
        assert getattr(feb, k) == pytest.approx(e[k], rel=1e-6)
        assert getattr(later, k) == pytest.approx(1.5 * e[k], rel=1e-5)  # m/yr → m/d
    assert pair.mid == dt.datetime(2018, 3, 20, 20, 30) and pair.dt_days == pytest.approx(32.0)
    d = plot_data(samples)
    from matplotlib.dates import num2date
    assert [num2date(t).replace(tzinfo=None) for t in d["time"]] == [s.mid for s in samples]
    assert d["half_span"][1] == pytest.approx(16.0)
    assert d["v"][2] == pytest.approx(1.5 * e["v"], rel=1e-5) and list(d["monthly"]) == [True, False, False]
    # a point off the products: nothing
    assert sample_products(paths, QgsPointXY(0, 0), crs) == []
    out = write_csv(samples, str(tmp_path / "ts.csv"), QgsPointXY(x, y), crs)
    rows = list(csv.reader(open(out, encoding="utf-8")))
    assert rows[0][0].startswith("# point") and rows[1][:3] == ["product", "file", "start_utc"]
    assert rows[3][0] == "L8 2018-03-04 → 2018-04-05" and float(rows[3][6]) == pytest.approx(e["v"], abs=1e-4)


def test_map_tool_click_fills_dock_and_exports(products, qgis_iface, qgis_canvas, tmp_path):
    from qgis.core import QgsProject, QgsRasterLayer, QgsRectangle
    from qgis.gui import QgsMapMouseEvent
    from qgis.PyQt.QtCore import QEvent, QPoint, Qt

    from glacvel_plugin.gui.menus import GlacvelMenus
    paths, x, y, e = products
    project = QgsProject.instance()
    layers = [QgsRasterLayer(p, os.path.basename(p)) for p in paths]
    for lyr in layers:
        project.addMapLayer(lyr)
    menus = GlacvelMenus(qgis_iface)
    menus.add()
    try:
        assert menus.timeseries_action in menus.toolbar.actions()
        menus.timeseries_action.trigger()              # checks it → activates the tool
        tool = menus.timeseries_tool
        assert qgis_canvas.mapTool() is tool and not menus.timeseries_dock.isHidden()
        qgis_canvas.setDestinationCrs(layers[0].crs())
        qgis_canvas.resize(400, 400)
        qgis_canvas.setExtent(QgsRectangle(x - 2000, y - 2000, x + 2000, y + 2000))
        qgis_canvas.refresh()
        pix = qgis_canvas.getCoordinateTransform().transform(x, y)
        at = QPoint(int(round(pix.x())), int(round(pix.y())))
        # a click as the canvas delivers it: press, then release
        tool.canvasPressEvent(QgsMapMouseEvent(qgis_canvas, QEvent.MouseButtonPress, at, Qt.LeftButton))
        tool.canvasReleaseEvent(QgsMapMouseEvent(qgis_canvas, QEvent.MouseButtonRelease, at,
                                                 Qt.LeftButton))
        dock = menus.timeseries_dock
        assert len(dock.samples) == 3, dock.info.text()
        assert dock.samples[1].v == pytest.approx(e["v"], rel=1e-6)
        assert "3 of 3 products" in dock.info.text()
        # the plotted v points are the samples (pairs and monthly drawn apart)
        drawn = {}
        for c in dock.axes.containers:
            line = c.lines[0]
            drawn[line.get_gid() or c.get_label()] = np.asarray(line.get_ydata(), dtype=float)
        ys = np.sort(np.concatenate(list(drawn.values())))
        assert ys == pytest.approx(np.sort([s.v for s in dock.samples]))
        dock.show_vx.setChecked(True)
        vx_line = [ln for ln in dock.axes.get_lines() if ln.get_gid() == "vx"]
        assert len(vx_line) == 1 and np.asarray(vx_line[0].get_ydata())[1] == pytest.approx(e["vx"], rel=1e-6)
        png = dock.export_png(str(tmp_path / "ts.png"))
        with open(png, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        csv_path = dock.export_csv(str(tmp_path / "ts.csv"))
        assert sum(1 for _ in open(csv_path, encoding="utf-8")) == 5   # point, header, 3 rows
        menus.timeseries_action.trigger()              # unchecks it → leaves the tool
        assert qgis_canvas.mapTool() is not tool
    finally:
        menus.remove()
        project.removeAllMapLayers()
        project.layerTreeRoot().removeAllChildren()
