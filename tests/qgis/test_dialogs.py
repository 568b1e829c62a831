"""Desktop dialogs driven like a user: scene/pair chooser, reference polygons, menus."""
import glob
import os

import numpy as np
import pytest
import rasterio

from tests import conftest
from tests.conftest import ROOT, S1_PAIR, test_data

YAHTSE = os.path.join(ROOT, "demo", "data", "yahtse")


@pytest.fixture
def scene_folder(tmp_path):
    """A folder like a user's download folder, built from real files (links, not copies).

    landsat/: the Yahtse Landsat-8 B8 pair + MTL files (2016-07-18, 2016-08-03, path/row 063/018)
    landsat/LC80630182016232LGN00_B8_broken.TIF: a truncated file → listed as unreadable
    landsat/LC80630182016200LGN00_B4.TIF: another band → skipped (not the correlation band)
    s1/: the Sentinel-1B EW pair (≈23 h apart)
    uav/survey.tif: a Landsat crop tagged TIFFTAG_DATETIME like an orthomosaic → UAV
    dem/: the SRTM DEM → listed, "no acquisition time"
    """
    root = tmp_path / "scenes"
    (root / "landsat").mkdir(parents=True)
    for n in ("LC80630182016200LGN00_B8_yahtse_crop.TIF", "LC80630182016216LGN00_B8_yahtse_crop.TIF"):
        os.symlink(os.path.join(YAHTSE, n), root / "landsat" / n)
    os.symlink(os.path.join(YAHTSE, "mtl"), root / "landsat" / "mtl")
    with open(os.path.join(YAHTSE, "LC80630182016200LGN00_B8_yahtse_crop.TIF"), "rb") as f:
        head = f.read(4096)
    (root / "landsat" / "LC80630182016232LGN00_B8_broken.TIF").write_bytes(head)
    (root / "landsat" / "LC80630182016200LGN00_B4.TIF").write_bytes(b"not read")
    (root / "s1").mkdir()
    s1dir = test_data(S1_PAIR)
    for n in sorted(os.listdir(s1dir)):
        if n.endswith(".tif"):
            os.symlink(os.path.join(s1dir, n), root / "s1" / n)
    (root / "uav").mkdir()
    src = conftest.test_data("desktop", "yahtse_tiny", "LC80630182016200LGN00_B8_tiny.TIF")
    with rasterio.open(src) as ds:
        prof = ds.profile.copy()
        a = ds.read(1)
    with rasterio.open(root / "uav" / "survey.tif", "w", **prof) as out:
        out.write(a, 1)
        out.update_tags(TIFFTAG_DATETIME="2023:08:14 11:05:30")
    (root / "dem").mkdir()
    os.symlink(test_data("yahtse_landsat8", "yahtse_srtm_dem_crop.tif"), root / "dem" / "yahtse_srtm_dem.tif")
    return str(root)


def _status(dlg):
    from qgis.PyQt.QtCore import Qt
    rows = {}
    for r in range(dlg.table.rowCount()):
        path = dlg.table.item(r, 0).data(Qt.UserRole)
        rows[os.path.basename(path)] = [dlg.table.item(r, c).text() if c else dlg.table.item(r, c)
                                        for c in range(dlg.table.columnCount())]
    return rows


def test_chooser_scans_real_folder_and_lists_bad_scenes(qgis_iface, qgis_canvas, scene_folder):
    from qgis.core import QgsCoordinateReferenceSystem, QgsRectangle

    from glacvel_plugin.gui.scene_chooser import SceneChooserDialog
    qgis_canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:32607"))
    # the canvas shows a 6 km square on the western edge of the Landsat crop
    qgis_canvas.setExtent(QgsRectangle(468817.5, 6668550, 474817.5, 6674550))
    ext = qgis_canvas.extent()
    scene = QgsRectangle(471817.5, 6665272.5, 484567.5, 6677827.5)
    expected = 100 * scene.intersect(ext).area() / scene.area()
    assert 5 < expected < 60  # the canvas may widen the extent to its aspect ratio
    dlg = SceneChooserDialog(qgis_iface)
    recs = dlg.scan(scene_folder)
    rows = _status(dlg)
    assert "LC80630182016200LGN00_B4.TIF" not in rows  # not the correlation band
    assert len(recs) == 7
    l8 = rows["LC80630182016200LGN00_B8_yahtse_crop.TIF"]
    assert l8[1] == "L8" and l8[2] == "2016-07-18 20:37:06" and l8[3] == "063018"
    assert l8[5] == "EPSG:32607" and l8[7] == "usable"
    assert l8[4] == "44.1"  # CLOUD_COVER = 44.14 in the MTL file
    assert float(l8[6]) == pytest.approx(expected, abs=0.1)
    s1 = [v for k, v in rows.items() if "S1B_EW" in k]
    assert len(s1) == 2 and all(v[1] == "S1" and v[5] == "EPSG:5041" for v in s1)
    assert all(float(v[6]) == 0.0 for v in s1)  # Svalbard is not on an Alaska canvas
    assert sorted(v[2] for v in s1) == ["2020-03-01 08:33:11", "2020-03-02 07:35:59"]
    uav = rows["survey.tif"]
    assert uav[1] == "UAV" and uav[2] == "2023-08-14 11:05:30"
    broken = rows["LC80630182016232LGN00_B8_broken.TIF"]
    assert broken[7].startswith("cannot read") and not (broken[0].flags() & 0x10)
    assert "no acquisition time" in rows["yahtse_srtm_dem.tif"][7]
    assert "7 scenes found, 5 usable, 2 cannot be used" in dlg.message.text()
    assert broken[1] == "L8" and broken[2] == "2016-08-19"  # from the name, date only
    # sortable: sorting by sensor, descending, puts the UAV survey first
    from qgis.PyQt.QtCore import Qt
    dlg.table.sortItems(1, Qt.DescendingOrder)
    assert dlg.table.item(0, 1).text() == "UAV"
    dlg.table.sortItems(6, Qt.DescendingOrder)  # overlap, numeric
    ov = [float(dlg.table.item(r, 6).text()) for r in range(dlg.table.rowCount())
          if dlg.table.item(r, 6).text()]
    assert ov == sorted(ov, reverse=True) and len(ov) == 7
    assert float(rows["survey.tif"][6]) > expected  # the UAV crop lies in the west


def test_chooser_proposes_and_edits_pairs(qgis_iface, scene_folder):
    from glacvel_plugin.gui.scene_chooser import SceneChooserDialog
    dlg = SceneChooserDialog(qgis_iface)
    recs = dlg.scan(scene_folder)
    usable = [r.path for r in recs if r.usable]
    dlg.set_checked(usable)
    # the MTL files give 44.14 % and 51.55 % cloud cover: above the default 30 % limit
    assert dlg.propose() == [] and "No pair matches" in dlg.message.text()
    dlg.max_cloud.setValue(60)
    pairs = dlg.propose()
    # Landsat July/August → one bridged 16-day pair; S1 only 1 day apart; one UAV survey
    assert len(pairs) == 1 and pairs[0].dt_days == pytest.approx(16.0, abs=1e-3)
    assert dlg.pair_table.rowCount() == 1
    assert dlg.pair_table.item(0, 2).text() == "16.00"
    l8 = sorted(r.path for r in recs if r.sensor == "L8")
    s1 = sorted(r.path for r in recs if r.sensor == "S1")
    # Δt ≤ 0 refused with a message, the list unchanged
    assert dlg.add_pair(l8[1], l8[0]) is None
    assert "Pair refused" in dlg.message.text() and "swap" in dlg.message.text()
    assert dlg.add_pair(l8[0], l8[0]) is None and "itself" in dlg.message.text()
    assert dlg.add_pair(l8[0], s1[0]) is None and "same sensor family" in dlg.message.text()
    assert len(dlg.pairs) == 1
    # a user-made pair: the S1 pair (≈0.96 d)
    p = dlg.add_pair(s1[0], s1[1])
    assert p is not None and p.dt_days == pytest.approx(0.9603, abs=1e-3)
    assert dlg.pair_table.rowCount() == 2 and "Δt = 0.96 days" in dlg.message.text()
    assert dlg.add_pair(s1[0], s1[1]) is None and "already" in dlg.message.text()
    dlg.pair_table.selectRow(0)
    dlg.remove_selected_pairs()
    assert len(dlg.pairs) == 1
    # nothing ticked → asks for two scenes
    dlg.set_all_checked(False)
    assert dlg.propose() == [] and "at least two" in dlg.message.text()


def test_chooser_empty_and_missing_folder(qgis_iface, tmp_path):
    from glacvel_plugin.gui.scene_chooser import SceneChooserDialog
    dlg = SceneChooserDialog(qgis_iface)
    (tmp_path / "empty").mkdir()
    assert dlg.scan(str(tmp_path / "empty")) == []
    assert "No raster files found" in dlg.message.text()
    assert dlg.table.rowCount() == 0
    assert dlg.scan(str(tmp_path / "nowhere")) == []
    assert "is not a folder" in dlg.message.text()
    # Run without pairs or output folder is refused with a message, nothing started
    assert dlg.run_chain() is None and "no pairs" in dlg.message.text()


def test_build_chain_one_code_path(tmp_path):
    import datetime as dt

    from glacvel_plugin.core.pairing import Scene, Pair
    from glacvel_plugin.gui.scene_chooser import build_chain
    a = Scene("/d/a.TIF", "L8", dt.datetime(2016, 7, 18, 20, 37, 6), "063018")
    b = Scene("/d/b.TIF", "L8", dt.datetime(2016, 8, 3, 20, 37, 9), "063018")
    steps = build_chain([Pair(a, b)], str(tmp_path), "/d/stable.geojson", True, 25.0)
    assert [s.alg_id for s in steps] == ["glacvel:optical_correlation",
                                         "glacvel:stable_ground_correction",
                                         "glacvel:monthly_velocity"]
    assert steps[0].params["REFERENCE"] == "/d/a.TIF" and steps[0].params["MAX_SPEED"] == 25.0
    assert steps[1].params["INPUT"] == steps[0].params["OUTPUT"]
    assert steps[1].params["STABLE_GROUND"] == "/d/stable.geojson"
    assert steps[2].params["SOURCES"] == [steps[1].params["OUTPUT"]]
    with pytest.raises(ValueError, match="swap"):
        build_chain([Pair(b, a)], str(tmp_path))
    with pytest.raises(ValueError, match="output folder"):
        build_chain([Pair(a, b)], "")


def test_menus_add_and_remove(qgis_iface, tmp_path):
    from qgis.core import QgsProject, QgsRasterLayer

    from glacvel_plugin.gui.menus import GlacvelMenus
    from tests.helpers import make_product
    menus = GlacvelMenus(qgis_iface)
    menus.add()
    try:
        assert len(menus.actions) == 5  # chooser, reference, style, arrows, time series
        assert menus.toolbar is not None and menus.chooser_action in menus.toolbar.actions()
        dlg = menus.show_scene_chooser()
        assert dlg.isVisible() and menus.show_scene_chooser() is dlg  # one instance
        dlg.close()
        # a product added to the project by any route is styled on arrival
        path, _ = make_product(tmp_path / "202306.tif", crop=(100, 200, 100, 250))
        layer = QgsRasterLayer(path, "202306")
        QgsProject.instance().addMapLayer(layer)
        assert layer.customProperty("glacvel/style") == "velocity"
        assert layer.temporalProperties().isActive()
        qgis_iface.setActiveLayer(layer)
        arrows = menus.arrows_for_selected()
        assert arrows is not None and arrows.featureCount() > 0
    finally:
        menus.remove()
        QgsProject.instance().removeAllMapLayers()
    assert menus.actions == []


# --------------------------------------------------------------------------- reference dialog
@pytest.fixture
def uav_reference(tmp_path):
    """Stand-in for a UAV velocity raster: the real CARST Kaskawulsh product (120 m grid).

    No real UAV glacier velocity field is available."""
    from tests.helpers import make_product
    return make_product(tmp_path / "uav_velocity.tif")


def _rect_layer(rects, crs="EPSG:32607"):
    from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsRectangle, QgsVectorLayer
    from qgis.PyQt.QtCore import QVariant
    lyr = QgsVectorLayer(f"Polygon?crs={crs}", "polys", "memory")
    lyr.dataProvider().addAttributes([QgsField("name", QVariant.String)])
    lyr.updateFields()
    feats = []
    for name, r in rects:
        f = QgsFeature(lyr.fields())
        f.setGeometry(QgsGeometry.fromRect(QgsRectangle(*r)))
        f["name"] = name
        feats.append(f)
    lyr.dataProvider().addFeatures(feats)
    return lyr


def test_reference_pixel_counts_match_numpy(qgis_iface, uav_reference):
    from qgis.core import QgsProject

    from glacvel_plugin.gui.reference_dialog import ReferenceDialog
    path, v = uav_reference
    with rasterio.open(path) as ds:
        x0, y0 = ds.transform.c, ds.transform.f
    # two rectangles on pixel edges: rows 100–139 × cols 200–259 and rows 10–19 × cols 0–9
    r1 = (x0 + 200 * 120, y0 - 140 * 120, x0 + 260 * 120, y0 - 100 * 120)
    r2 = (x0, y0 - 20 * 120, x0 + 10 * 120, y0 - 10 * 120)
    polys = _rect_layer([("trunk", r1), ("corner", r2)])
    QgsProject.instance().addMapLayer(polys)
    try:
        dlg = ReferenceDialog(qgis_iface)
        dlg.uav.setFilePath(path)
        dlg.polygons.setLayer(polys)
        counts = dlg.update_counts()
        n1 = int(np.isfinite(v[100:140, 200:260]).sum())
        n2 = int(np.isfinite(v[10:20, 0:10]).sum())
        assert n1 > 1000
        assert [c["total"] for c in counts] == [n1, n2]
        assert [c["name"] for c in counts] == ["trunk", "corner"]
        assert dlg.count_table.item(0, 1).text() == str(n1)
        assert f"{n1 + n2} reference values in 2 polygons" in dlg.message.text()
        if n2 == 0:
            assert "No reference data in: corner" in dlg.message.text()
        # two rasters: per-raster columns and a total
        dlg.uav.setFilePath(f'"{path}" "{path}"')
        counts = dlg.update_counts()
        assert counts[0]["counts"] == [n1, n1] and counts[0]["total"] == 2 * n1
        assert dlg.count_table.columnCount() == 4
        # incomplete input: message, no crash
        dlg.polygons.setLayer(None)
        assert dlg.update_counts() == [] and "reference polygons" in dlg.message.text()
        assert dlg.fit_weights() is None and "at least two" in dlg.message.text()
    finally:
        QgsProject.instance().removeAllMapLayers()


def test_reference_polygon_drawn_with_map_tool(qgis_iface, qgis_canvas, uav_reference):
    from qgis.core import QgsCoordinateReferenceSystem, QgsPointXY, QgsProject, QgsRectangle
    from qgis.gui import QgsMapMouseEvent
    from qgis.PyQt.QtCore import QEvent, QPoint, Qt

    from glacvel_plugin.gui.reference_dialog import ReferenceDialog, layer_file
    path, v = uav_reference
    with rasterio.open(path) as ds:
        b = ds.bounds
    qgis_canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:32607"))
    qgis_canvas.setExtent(QgsRectangle(b.left, b.bottom, b.right, b.top))
    dlg = ReferenceDialog(qgis_iface)
    dlg.uav.setFilePath(path)
    dlg.draw_button.setChecked(True)
    tool = dlg.tool
    assert qgis_canvas.mapTool() is tool
    xf = qgis_canvas.getCoordinateTransform()
    cx, cy = (b.left + b.right) / 2, (b.bottom + b.top) / 2
    corners = [(cx - 6000, cy - 6000), (cx + 6000, cy - 6000), (cx + 6000, cy + 6000), (cx - 6000, cy + 6000)]
    for x, y in corners:
        p = xf.transform(QgsPointXY(x, y))
        ev = QgsMapMouseEvent(qgis_canvas, QEvent.MouseButtonRelease, QPoint(int(p.x()), int(p.y())),
                              Qt.LeftButton)
        tool.canvasReleaseEvent(ev)
    ev = QgsMapMouseEvent(qgis_canvas, QEvent.MouseButtonRelease, QPoint(5, 5), Qt.RightButton)
    tool.canvasReleaseEvent(ev)
    try:
        layer = dlg.drawn_layer
        assert layer is not None and layer.featureCount() == 1
        assert dlg.polygons.currentLayer() is layer
        area = next(layer.getFeatures()).geometry().area()
        assert area == pytest.approx(12000 * 12000, rel=0.05)
        # ~100 × 100 px of 120 m; the count is shown before any fit
        assert dlg.counts and 0 < dlg.counts[0]["total"] <= 10201
        with rasterio.open(path) as ds:
            r0, c0 = ds.index(cx - 6000, cy + 6000)
        expect = int(np.isfinite(v[r0:r0 + 100, c0:c0 + 100]).sum())
        assert dlg.counts[0]["total"] == pytest.approx(expect, rel=0.05)
        # drawn (memory) polygons are saved to a file a background run can read
        f = layer_file(layer)
        assert f.endswith(".gpkg") and os.path.exists(f)
        dlg.draw_button.setChecked(False)
        assert dlg.tool is None
    finally:
        QgsProject.instance().removeAllMapLayers()


def test_reference_gnss_stations_per_polygon(qgis_iface):
    import csv

    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsProject, QgsVectorLayer

    from glacvel_plugin.gui.reference_dialog import ReferenceDialog
    pts = QgsVectorLayer("Point?crs=EPSG:32607", "gnss", "memory")
    feats = []
    with open(test_data("kaskawulsh_multisensor", "gps", "Kaskawulsh_2018-04-05_to_2018-03-04_GPS")) as f:
        for row in csv.DictReader(f):
            if row["start_easting"]:
                feat = QgsFeature()
                feat.setGeometry(QgsGeometry.fromPointXY(
                    QgsPointXY(float(row["start_easting"]), float(row["start_northing"]))))
                feats.append(feat)
    pts.dataProvider().addFeatures(feats)
    assert len(feats) == 2  # station 2 has no start position on these dates
    polys = _rect_layer([("east", (615000, 6735000, 625000, 6745000)),
                         ("west", (605000, 6735000, 615000, 6745000)),
                         ("none", (590000, 6700000, 591000, 6701000))])
    QgsProject.instance().addMapLayers([pts, polys])
    try:
        dlg = ReferenceDialog(qgis_iface)
        dlg.use_points.setChecked(True)
        dlg.points.setLayer(pts)
        dlg.polygons.setLayer(polys)
        counts = dlg.update_counts()
        assert [c["total"] for c in counts] == [1, 1, 0]
        assert "No reference data in: 3" in dlg.message.text()
        dlg.polygons.setLayer(None)
        assert [c["total"] for c in dlg.update_counts()] == [2]
    finally:
        QgsProject.instance().removeAllMapLayers()


def _listen(dialog):
    """Collect (error, results) of the dialog's background tasks (taskFinished signal).

    Connect before starting or cancelling: a task cancelled while still queued reports
    at once. The task manager deletes a QgsTask once it finished, so tests never touch
    the task object afterwards."""
    done = []
    dialog.taskFinished.connect(lambda t: done.append((t.error, list(t.results))))
    return done


def _wait(done, timeout=180.0):
    """Process events until ``done`` (from :func:`_listen`) holds a report."""
    import time

    from qgis.PyQt.QtCore import QCoreApplication
    t0 = time.monotonic()
    while not done and time.monotonic() - t0 < timeout:
        QCoreApplication.processEvents()
        time.sleep(0.02)
    assert done, "the background task did not finish"
    return done[0]


def test_reference_dialog_fits_weights_against_gnss(qgis_iface, glacvel_processing, run_alg, tmp_path):
    """Real Kaskawulsh L8 + S2 products, GNSS stations 0 and 2: the dialog's background run
    gives the same weights as processing.run (one code path); L8 takes > 0.9."""
    from qgis.core import QgsProject

    from glacvel_plugin.gui.reference_dialog import ReferenceDialog
    from tests.helpers import KASK_L8_STEM, KASK_S2_STEM, glaft_product, gnss_layer
    sources = [glaft_product(tmp_path, KASK_L8_STEM, "L8"), glaft_product(tmp_path, KASK_S2_STEM, "S2")]
    gnss = gnss_layer([0, 2])
    QgsProject.instance().addMapLayer(gnss)
    try:
        dlg = ReferenceDialog(qgis_iface)
        dlg.sources.setFilePath(" ".join(f'"{p}"' for p in sources))
        dlg.use_points.setChecked(True)
        dlg.points.setLayer(gnss)
        counts = dlg.update_counts()
        assert [c["total"] for c in counts] == [2]
        done = _listen(dlg)
        task = dlg.fit_weights()
        assert task is not None and not dlg.fit_button.isEnabled()
        error, _ = _wait(done)
        assert error is None, error
        w = dlg.weights[0]
        direct = run_alg("glacvel:fit_fusion_weights", {"SOURCES": sources, "REFERENCE_POINTS": gnss,
                                                        "METHOD": 0})["WEIGHTS"]
        assert w == pytest.approx(direct, abs=1e-6)
        assert w["L8"] > 0.9 and sum(w.values()) == pytest.approx(1.0)
        assert "Weights (GNSS): L8=" in dlg.message.text()
        assert dlg.fit_button.isEnabled()
    finally:
        QgsProject.instance().removeAllMapLayers()


def test_dialogs_in_simplified_chinese(qgis_iface, glacvel_processing, tmp_path):
    """The zh_CN translation is compiled and reaches the dialogs, menus and messages."""
    from glacvel_plugin.gui.menus import GlacvelMenus
    from glacvel_plugin.gui.reference_dialog import ReferenceDialog
    from glacvel_plugin.gui.scene_chooser import SceneChooserDialog
    from glacvel_plugin.i18n import install_translator, remove_translator
    assert os.path.exists(os.path.join(ROOT, "i18n", "glacvel_zh_CN.qm")), "run make translations"
    try:
        assert install_translator("zh_CN")
        dlg = SceneChooserDialog(qgis_iface)
        assert dlg.windowTitle() == "冰川流速 — 影像与像对"
        assert dlg.scan_button.text() == "扫描" and dlg.propose_button.text() == "推荐像对"
        assert dlg.table.horizontalHeaderItem(4).text() == "云量 %"
        dlg.scan(str(tmp_path / "nowhere"))
        assert "不是文件夹" in dlg.message.text()
        (tmp_path / "empty").mkdir()
        dlg.scan(str(tmp_path / "empty"))
        assert dlg.message.text().startswith("在 ") and "未找到栅格文件" in dlg.message.text()
        ref = ReferenceDialog(qgis_iface)
        assert ref.fit_button.text() == "拟合权重" and ref.draw_button.text() == "在地图上绘制"
        menus = GlacvelMenus(qgis_iface)
        assert menus.menu_name == "冰川流速"
        from qgis.core import QgsApplication
        alg = QgsApplication.processingRegistry().createAlgorithmById("glacvel:optical_correlation")
        assert alg.displayName() == "光学影像相关匹配（流速）"
        assert alg.shortHelpString().startswith("测量较早（参考）与较晚（次）两景光学影像")
        # labels shared by the fusion algorithms (built outside the classes, fixed context)
        fit = QgsApplication.processingRegistry().createAlgorithmById("glacvel:fit_fusion_weights")
        fit.initAlgorithm()
        assert fit.parameterDefinition("TARGET_RESOLUTION").description() == "目标分辨率 (m)"
    finally:
        remove_translator()
    assert SceneChooserDialog(qgis_iface).scan_button.text() == "Scan"


def test_every_message_translated():
    """No unfinished message is left in the zh_CN catalogue, and placeholders survive."""
    import xml.etree.ElementTree as ET

    from scripts.translate_zh import placeholders
    tree = ET.parse(os.path.join(ROOT, "i18n", "glacvel_zh_CN.ts"))
    n = 0
    for msg in tree.getroot().iter("message"):
        tr = msg.find("translation")
        assert tr is not None and tr.get("type") != "unfinished" and tr.text, msg.findtext("source")
        assert placeholders(tr.text) == placeholders(msg.findtext("source"))
        n += 1
    assert n > 250


def test_chooser_runs_chain_and_loads_styled_layers(qgis_iface, glacvel_processing, tmp_path):
    """Tiny real Yahtse Landsat-8 crop (300 × 300 px, 15 m): scan → propose → Run in the
    background → corrected pair product and the monthly product arrive styled and grouped,
    the monthly one with its calendar-month temporal range and an arrows layer."""
    from qgis.core import (QgsProject, QgsSingleBandPseudoColorRenderer, QgsStyle,
                           QgsVectorFieldSymbolLayer, QgsVectorLayer)

    from glacvel_plugin.gui.scene_chooser import SceneChooserDialog
    project = QgsProject.instance()
    stable = QgsVectorLayer(os.path.join(YAHTSE, "stable_ground.geojson"), "stable", "ogr")
    assert stable.isValid()
    project.addMapLayer(stable)
    try:
        dlg = SceneChooserDialog(qgis_iface)
        recs = dlg.scan(conftest.test_data("desktop", "yahtse_tiny"))
        assert [r.sensor for r in recs] == ["L8", "L8"]
        dlg.max_cloud.setValue(60)
        dlg.set_all_checked(True)
        assert len(dlg.propose()) == 1
        dlg.out_dir.setFilePath(str(tmp_path / "out"))
        dlg.stable.setLayer(stable)
        dlg.max_speed.setValue(25)
        done = _listen(dlg)
        task = dlg.run_chain()
        assert task is not None and dlg.cancel_button.isEnabled() and not dlg.run_button.isEnabled()
        assert task.ALG_ID == "glacvel:velocity_dataset"     # the chooser runs the dataset job
        error, results = _wait(done, timeout=600)
        assert error is None, error
        assert dlg.progress.value() == 100 and dlg.run_button.isEnabled()
        pairs = glob.glob(str(tmp_path / "out" / "pairs" / "L8_20160718T*_20160803T*.tif"))
        pair = next(p for p in pairs if not p.endswith("_raw.tif"))
        monthly = str(tmp_path / "out" / "monthly" / "201607.tif")
        assert os.path.exists(pair) and os.path.exists(monthly)
        with rasterio.open(pair) as ds:
            assert "vx_error" in ds.descriptions and ds.tags()["SG_SOURCE"] == "polygons"
        group = next(g for g in project.layerTreeRoot().children() if g.name().startswith("glacvel run"))
        layers = {n.layer().name(): n.layer() for n in group.findLayers()}
        assert "L8 2016-07-18 → 2016-08-03" in layers and "201607" in layers
        viridis = QgsStyle.defaultStyle().colorRamp("Viridis")
        for name in ("L8 2016-07-18 → 2016-08-03", "201607"):
            r = layers[name].renderer()
            assert isinstance(r, QgsSingleBandPseudoColorRenderer) and r.band() == 1
            items = r.shader().rasterShaderFunction().colorRampItemList()
            assert items[-1].color.name() == viridis.color(1).name()
            with rasterio.open(layers[name].source()) as ds:
                v = ds.read(1, masked=True).compressed()
            assert r.classificationMax() == pytest.approx(np.percentile(v, 98), rel=0.03)
        rng = layers["201607"].temporalProperties().fixedTemporalRange()
        assert layers["201607"].temporalProperties().isActive()
        assert (rng.begin().date().toPyDate().isoformat(), rng.end().date().toPyDate().isoformat()) == \
            ("2016-07-01", "2016-08-01")
        assert not layers["L8 2016-07-18 → 2016-08-03"].temporalProperties().isActive()
        arrows = [lyr for n, lyr in layers.items() if n.startswith("201607 ")]
        assert len(arrows) == 1 and arrows[0].featureCount() > 0
        assert isinstance(arrows[0].renderer().symbol().symbolLayer(0), QgsVectorFieldSymbolLayer)
    finally:
        project.removeAllMapLayers()
        project.layerTreeRoot().removeAllChildren()


def test_chooser_cancel_stops_chain_and_writes_nothing(qgis_iface, glacvel_processing, tmp_path):
    from glacvel_plugin.gui.scene_chooser import SceneChooserDialog
    dlg = SceneChooserDialog(qgis_iface)
    dlg.scan(conftest.test_data("desktop", "yahtse_tiny"))
    dlg.max_cloud.setValue(60)
    dlg.set_all_checked(True)
    dlg.propose()
    dlg.out_dir.setFilePath(str(tmp_path / "out"))
    done = _listen(dlg)
    task = dlg.run_chain()
    assert task is not None
    assert dlg.run_chain() is None and "still going" in dlg.message.text()
    dlg.cancel_button.click()
    error, _ = _wait(done, timeout=300)
    assert error is not None and "cancel" in error.lower()
    assert "Run stopped" in dlg.message.text() and dlg.run_button.isEnabled()
    assert not os.path.exists(str(tmp_path / "out" / "monthly"))
    left = [f for f in os.listdir(tmp_path / "out")] if os.path.exists(tmp_path / "out") else []
    assert not [f for f in left if f.startswith(".glacvel-")]  # no half-written temporaries


def test_cancel_between_the_task_check_and_its_feedback_is_not_lost(qgis_iface,
                                                                    glacvel_processing, tmp_path):
    """A cancel that arrives after the dataset task checked its flag but before it made
    the algorithm's feedback (seen under load: the whole job then ran and wrote its
    monthly products under a "Run stopped" message) still stops the job."""
    from glacvel_plugin.gui.scene_chooser import (DatasetTask, SceneChooserDialog,
                                                  dataset_params)
    dlg = SceneChooserDialog(qgis_iface)
    dlg.scan(conftest.test_data("desktop", "yahtse_tiny"))
    dlg.max_cloud.setValue(60)
    dlg.set_all_checked(True)
    dlg.propose()
    out = tmp_path / "out"
    params = dataset_params(dlg.pairs, dlg.folder.filePath(), str(out), dlg.stable_source(),
                            dlg.max_speed.value() or None, method=dlg.method.currentData(),
                            window=dlg.window.value())

    class LateCancel(DatasetTask):
        checks = 0

        def isCanceled(self):  # noqa: N802 (QGIS API)
            LateCancel.checks += 1
            if LateCancel.checks == 1:     # the user cancels right after this check
                self.cancel()
                return False
            return super().isCanceled()
    task = LateCancel(params, "late cancel")
    assert task.run() is False
    assert task.error is not None and "cancel" in task.error.lower()
    assert task.feedback.isCanceled()
    assert not os.path.exists(str(out / "monthly"))
