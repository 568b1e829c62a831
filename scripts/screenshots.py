"""Screenshots of the desktop side for the docs: dialogs and a styled velocity map.

Run with ``make screenshots`` (xvfb-run, QT_QPA_PLATFORM=xcb). Writes into docs/img/:

* ``scene_chooser.png``  — the scene and pair chooser after scanning a folder of real
  scenes (Yahtse Landsat-8 pair with MTL files, the Sentinel-1 pair, an unreadable file)
  and proposing pairs;
* ``reference_dialog.png`` — the reference-polygon dialog with pixel counts per polygon;
* ``chooser_cloud_limit.png`` — the chooser's message when the 30 % cloud limit leaves
  the bundled Yahtse pair (44 % and 52 % cloud) without a pair;
* ``velocity_map.png`` — Kaskawulsh Glacier speed (GLAFT demo vx/vy, Landsat-8
  2018-03-04 → 04-05) styled by glacvel (Viridis 0 → 98th percentile, m/d legend) with
  flow arrows, their length scale, legend and scale bar (a QGIS print layout);
* ``timeseries_dock.png`` — the time-series dock after a click on the Kaskawulsh trunk:
  the CARST Landsat-8 and Sentinel-2 pair products and the March 2018 monthly product
  made from them by ``glacvel:monthly_velocity``;
* ``import_itslive_dialog.png`` (and ``import_itslive_dialog_zh.png``, glacvel in
  Simplified Chinese), ``import_itslive_map.png`` — the toolbox dialog of
  ``glacvel:import_velocity`` with an ITS_LIVE granule, and the imported product styled
  by glacvel. The granule is written in the ITS_LIVE/autoRIFT layout (int16 m/yr,
  ``mapping``, ``img_pair_info``) from the CARST Landsat-8 velocities
  (``tests/helpers.write_itslive_granule``): not a real ITS_LIVE granule.

``python scripts/screenshots.py itslive`` writes only these three.
"""
import datetime as dt
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.append("/usr/share/qgis/python/plugins")
SHARED = os.path.join(ROOT, "tests", "data")  # real crops that ship with the repository
OUT = os.path.join(ROOT, "docs", "img")


def kaskawulsh_product(folder):
    """Velocity product from the real GLAFT demo vx/vy rasters (m/d, 60 m, EPSG:32607)."""
    import numpy as np
    import rasterio

    from glacvel_plugin.io.product import standard_tags, write_product
    base = os.path.join(SHARED, "kaskawulsh_glaft_demo", "20180304-20180405_velo-raw_{}.tif")
    arrays = {}
    for b in ("vx", "vy"):
        with rasterio.open(base.format(b)) as ds:
            a = ds.read(1).astype(np.float32)
            a[a == ds.nodata] = np.nan
            arrays[b] = a
            transform, crs = ds.transform, ds.crs
    vx, vy = arrays["vx"], arrays["vy"]
    days = 32.0
    bands = {"v": np.hypot(vx, vy), "vx": vx, "vy": vy, "dx": vx * days, "dy": vy * days,
             "quality": np.where(np.isfinite(vx), 1.0, np.nan).astype(np.float32)}
    tags = standard_tags("L8", dt.datetime(2018, 3, 4, 20, 30), dt.datetime(2018, 4, 5, 20, 30),
                         "CARST (GLAFT demo data)")
    return write_product(os.path.join(folder, "201803.tif"), bands, transform, crs, tags)


def grab(widget, name):
    from qgis.PyQt.QtWidgets import QApplication
    widget.show()
    for _ in range(5):
        QApplication.processEvents()
    path = os.path.join(OUT, name)
    widget.grab().save(path)
    print("wrote", os.path.relpath(path, ROOT))
    return path


def velocity_map(product, outline, name="velocity_map.png", title=None, layer_name=None):
    """A print layout: styled speed, arrows, glacier outline, legend, scale bar → PNG."""
    from qgis.core import (QgsLayoutExporter, QgsLayoutItemLegend, QgsLayoutItemLabel,
                           QgsLayoutItemMap, QgsLayoutItemScaleBar, QgsLayoutPoint,
                           QgsLayoutSize, QgsPrintLayout, QgsProject, QgsRasterLayer,
                           QgsUnitTypes, QgsVectorLayer)
    from qgis.PyQt.QtGui import QColor, QFont

    from glacvel_plugin import styling
    heading = title or "Kaskawulsh Glacier — Landsat-8 2018-03-04 → 2018-04-05, styled by glacvel"
    project = QgsProject.instance()
    raster = QgsRasterLayer(product, layer_name or "Kaskawulsh, March 2018")
    styling.style_layer(raster)
    arrows = styling.arrows_layer(product, target_arrows=40, name="Flow direction",
                                  min_speed=0.2)
    outline_layer = QgsVectorLayer(outline, "Glacier outline", "ogr")
    sym = outline_layer.renderer().symbol()
    sym.symbolLayer(0).setBrushStyle(0)  # no fill
    sym.symbolLayer(0).setStrokeColor(QColor(240, 90, 60))
    sym.symbolLayer(0).setStrokeWidth(0.4)
    project.addMapLayers([raster, outline_layer, arrows])
    styling.label_legend(raster, project)
    styling.label_legend(arrows, project)

    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    page = layout.pageCollection().page(0)
    page.setPageSize(QgsLayoutSize(290, 182, QgsUnitTypes.LayoutMillimeters))
    m = QgsLayoutItemMap(layout)
    m.attemptMove(QgsLayoutPoint(5, 14, QgsUnitTypes.LayoutMillimeters))
    m.attemptResize(QgsLayoutSize(215, 215 * 1.06 * raster.height() / raster.width(),
                                  QgsUnitTypes.LayoutMillimeters))
    m.setLayers([arrows, outline_layer, raster])
    m.setCrs(raster.crs())
    ext = raster.extent()
    ext.setYMinimum(ext.yMinimum() - 0.06 * ext.height())  # room for the arrow scale
    m.setExtent(ext)
    m.setFrameEnabled(True)
    layout.addLayoutItem(m)
    title = QgsLayoutItemLabel(layout)
    title.setText(heading)
    title.setFont(QFont("DejaVu Sans", 13))
    title.attemptMove(QgsLayoutPoint(5, 3, QgsUnitTypes.LayoutMillimeters))
    title.attemptResize(QgsLayoutSize(270, 9, QgsUnitTypes.LayoutMillimeters))
    layout.addLayoutItem(title)
    legend = QgsLayoutItemLegend(layout)
    legend.setLinkedMap(m)
    legend.setTitle("Legend")
    legend.setAutoUpdateModel(True)
    legend.setWrapString(";")
    legend.attemptMove(QgsLayoutPoint(223, 14, QgsUnitTypes.LayoutMillimeters))
    layout.addLayoutItem(legend)
    bar = QgsLayoutItemScaleBar(layout)
    bar.setStyle("Single Box")
    bar.setLinkedMap(m)
    bar.setUnits(QgsUnitTypes.DistanceKilometers)
    bar.setNumberOfSegments(4)
    bar.setNumberOfSegmentsLeft(0)
    bar.setUnitsPerSegment(2.5)
    bar.setUnitLabel("km")
    bar.attemptMove(QgsLayoutPoint(8, 20 + 215 * 1.06 * raster.height() / raster.width(),
                                   QgsUnitTypes.LayoutMillimeters))
    layout.addLayoutItem(bar)
    path = os.path.join(OUT, name)
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = 110
    res = QgsLayoutExporter(layout).exportToImage(path, settings)
    if res != QgsLayoutExporter.Success:
        raise RuntimeError(f"layout export failed ({res})")
    for ext in (".pgw", ".png.aux.xml"):
        side = path[:-4] + ext if ext == ".pgw" else path + ".aux.xml"
        if os.path.exists(side):
            os.remove(side)
    print("wrote", os.path.relpath(path, ROOT))
    project.removeAllMapLayers()
    return path


def carst_product(folder, sensor, stem, name):
    """A glacvel product from CARST's corrected vx/vy/errx/erry in demo/data/kaskawulsh."""
    import numpy as np
    import rasterio

    from glacvel_plugin.io.product import standard_tags, write_product
    base = os.path.join(ROOT, "demo", "data", "kaskawulsh", stem)
    bands = {}
    for b in ("vx", "vy", "errx", "erry"):
        with rasterio.open(base.format(b)) as ds:
            a = ds.read(1).astype(np.float32)
            a[a == ds.nodata] = np.nan
            bands[b] = a
            transform, crs = ds.transform, ds.crs
    d0, d1 = [dt.datetime.strptime(x, "%Y%m%d") for x in stem.split("_")[1].split("-")]
    vx, vy = bands["vx"], bands["vy"]
    v = np.hypot(vx, vy)
    days = (d1 - d0).days
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.sqrt((bands["errx"] * vx) ** 2 + (bands["erry"] * vy) ** 2) / v
    out = {"v": v, "vx": vx, "vy": vy, "dx": vx * days, "dy": vy * days,
           "quality": np.where(np.isfinite(v), 1.0, np.nan).astype(np.float32),
           "v_error": err.astype(np.float32)}
    return write_product(os.path.join(folder, name), out, transform, crs,
                         standard_tags(sensor, d0, d1, "CARST (GLAFT demo data)"))


def timeseries_dock(tmp):
    """Pair products + their monthly fusion, loaded; the dock after a click on the trunk."""
    import processing
    from processing.core.Processing import Processing
    from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsPointXY, QgsProject,
                           QgsRasterLayer)

    from glacvel_plugin.gui.timeseries import VelocityTimeSeriesDock
    from glacvel_plugin.processing_provider.provider import GlacvelProvider
    Processing.initialize()
    provider = GlacvelProvider()
    QgsApplication.processingRegistry().addProvider(provider)
    folder = os.path.join(tmp, "ts")
    os.makedirs(folder)
    l8 = carst_product(folder, "L8", "LS8-061018_20180304-20180405_velo-corrected_{}_SNT-GAU-RSO.tif",
                       "L8_20180304_20180405.tif")
    s2 = carst_product(folder, "S2", "Sen2-Orb14_20180304-20180314_velo-corrected_{}_SNT-GAU-RSO.tif",
                       "S2_20180304_20180314.tif")
    monthly = os.path.join(folder, "monthly")
    processing.run("glacvel:monthly_velocity", {"SOURCES": [l8, s2], "OUTPUT_FOLDER": monthly})
    project = QgsProject.instance()
    for p in [l8, s2] + [os.path.join(monthly, n) for n in sorted(os.listdir(monthly))
                         if n.endswith(".tif")]:
        project.addMapLayer(QgsRasterLayer(p, os.path.basename(p)))
    dock = VelocityTimeSeriesDock()
    dock.resize(760, 470)
    dock.show_vx.setChecked(True)
    dock.show_vy.setChecked(True)
    # a point on the Kaskawulsh trunk (UTM 7N)
    dock.set_point(QgsPointXY(619852.5, 6724162.5), QgsCoordinateReferenceSystem("EPSG:32607"))
    grab(dock, "timeseries_dock.png")
    dock.close()
    project.removeAllMapLayers()
    QgsApplication.processingRegistry().removeProvider(provider)


def itslive_import(tmp):
    """The import dialog with an ITS_LIVE-layout granule, then the imported product styled."""
    import numpy as np
    import processing
    import rasterio
    from processing.core.Processing import Processing
    from processing.gui.AlgorithmDialog import AlgorithmDialog
    from qgis.core import QgsApplication

    from glacvel_plugin.processing_provider.provider import GlacvelProvider
    from glacvel_plugin.styling import product_name
    from tests.helpers import write_itslive_granule
    Processing.initialize()
    reg = QgsApplication.processingRegistry()
    provider = None
    if reg.providerById("glacvel") is None:
        provider = GlacvelProvider()
        reg.addProvider(provider)
    folder = os.path.join(tmp, "itslive")
    os.makedirs(folder)
    stem = os.path.join(ROOT, "demo", "data", "kaskawulsh",
                        "LS8-061018_20180304-20180405_velo-corrected_{}_SNT-GAU-RSO.tif")
    comps = {}
    for c in ("vx", "vy"):
        with rasterio.open(stem.format(c)) as ds:
            a = ds.read(1).astype(np.float64)
            comps[c] = np.where(a == ds.nodata, np.nan, a) * 365.25   # m/d → m/yr
            transform, crs = ds.transform, ds.crs
    granule = os.path.join(folder, "kaskawulsh_L8_20180304_20180405_itslive_layout.nc")
    write_itslive_granule(granule, comps["vx"], comps["vy"], transform, crs, {
        "acquisition_date_img1": "20180304T18:57:05.4212",
        "acquisition_date_img2": "20180405T18:57:10.", "date_dt": 32.0000576,
        "mission_img1": "L", "mission_img2": "L", "satellite_img1": "8",
        "satellite_img2": "8"}, errors=(12.3, 9.8))
    out = os.path.join(folder, "itslive_L8_20180304_20180405.tif")
    dlg = AlgorithmDialog(reg.createAlgorithmById("glacvel:import_velocity"), False, None)
    dlg.setParameters({"GRANULE": granule, "OUTPUT": out})
    dlg.resize(1150, 820)
    grab(dlg, "import_itslive_dialog.png")
    dlg.close()
    # the same dialog with glacvel in Simplified Chinese (QGIS's own strings stay English
    # here: only glacvel's catalogue is installed)
    from glacvel_plugin.i18n import install_translator, remove_translator
    if install_translator("zh_CN"):
        try:
            zh = AlgorithmDialog(reg.createAlgorithmById("glacvel:import_velocity"), False, None)
            zh.setParameters({"GRANULE": granule, "OUTPUT": out})
            zh.resize(1150, 820)
            grab(zh, "import_itslive_dialog_zh.png")
            zh.close()
        finally:
            remove_translator()
    processing.run("glacvel:import_velocity", {"GRANULE": granule, "OUTPUT": out})
    velocity_map(out, os.path.join(SHARED, "kaskawulsh_glaft_demo",
                                   "glacier_V1_Kaskawulsh_s_inwardBuffer600m.shp"),
                 name="import_itslive_map.png", layer_name=product_name(out),
                 title="ITS_LIVE-layout granule (CARST Landsat-8 velocities, m/yr int16) "
                       "imported by glacvel:import_velocity")
    if provider is not None:
        reg.removeProvider(provider)


def main():
    from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsProject,
                           QgsRasterLayer, QgsRectangle)
    from qgis.gui import QgsMapCanvas
    from qgis.PyQt.QtWidgets import QMainWindow

    app = QgsApplication([], True)
    app.initQgis()
    os.makedirs(OUT, exist_ok=True)

    class Iface:
        """The few interface calls the dialogs make, on a real canvas."""

        def __init__(self):
            self.window = QMainWindow()
            self.canvas = QgsMapCanvas(self.window)
            self.canvas.resize(800, 600)

        def mapCanvas(self):  # noqa: N802
            return self.canvas

        def mainWindow(self):  # noqa: N802
            return self.window

    iface = Iface()
    if sys.argv[1:] == ["itslive"]:
        with tempfile.TemporaryDirectory() as tmp:
            itslive_import(tmp)
        app.exitQgis()
        return
    from glacvel_plugin.gui.reference_dialog import ReferenceDialog
    from glacvel_plugin.gui.scene_chooser import SceneChooserDialog
    with tempfile.TemporaryDirectory() as tmp:
        # a download folder of real scenes
        scenes = os.path.join(tmp, "scenes")
        os.makedirs(os.path.join(scenes, "landsat"))
        os.makedirs(os.path.join(scenes, "sentinel1"))
        ydir = os.path.join(ROOT, "demo", "data", "yahtse")
        for n in sorted(os.listdir(ydir)):
            if n.endswith(".TIF") or n == "mtl":
                os.symlink(os.path.join(ydir, n), os.path.join(scenes, "landsat", n))
        with open(os.path.join(ydir, "LC80630182016200LGN00_B8_yahtse_crop.TIF"), "rb") as f:
            head = f.read(4096)
        with open(os.path.join(scenes, "landsat", "LC80630182016232LGN00_B8_partial.TIF"), "wb") as f:
            f.write(head)
        s1 = os.path.join(SHARED, "s1_seaice_pair")
        for n in sorted(os.listdir(s1)):
            if n.endswith(".tif"):
                os.symlink(os.path.join(s1, n), os.path.join(scenes, "sentinel1", n))
        iface.canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:32607"))
        iface.canvas.setExtent(QgsRectangle(471817.5, 6665272.5, 484567.5, 6677827.5))
        lim = SceneChooserDialog(iface)
        lim.resize(1250, 760)
        lim.scan(os.path.join(ROOT, "demo", "data", "yahtse"))
        lim.set_all_checked(True)
        lim.propose()
        grab(lim, "chooser_cloud_limit.png")
        lim.close()
        dlg = SceneChooserDialog(iface)
        dlg.resize(1250, 760)
        dlg.scan(scenes)
        dlg.max_cloud.setValue(60)
        dlg.set_all_checked(True)
        dlg.propose()
        recs = [r for r in dlg.records if r.sensor == "S1" and r.usable]
        dlg.add_pair(recs[0].path, recs[1].path)
        dlg.out_dir.setFilePath(os.path.expanduser("~/glacier_velocity/yahtse_2016"))
        dlg.show_message(dlg.message.text())
        grab(dlg, "scene_chooser.png")
        dlg.close()

        product = kaskawulsh_product(tmp)
        # reference dialog: the Kaskawulsh product stands in for a UAV velocity raster,
        # the reference polygons are GLAFT's bedrock polygons
        from qgis.core import QgsVectorLayer
        polys = QgsVectorLayer(os.path.join(SHARED, "kaskawulsh_glaft_demo", "bedrock_V2.shp"),
                               "reference polygons", "ogr")
        gnss_like = QgsRasterLayer(product, "uav")
        QgsProject.instance().addMapLayers([polys, gnss_like])
        rd = ReferenceDialog(iface)
        rd.resize(820, 640)
        rd.sources.setFilePath(f'"{product}" "{product}"')
        rd.uav.setFilePath(product)
        rd.polygons.setLayer(polys)
        rd.update_counts()
        grab(rd, "reference_dialog.png")
        rd.close()
        QgsProject.instance().removeAllMapLayers()

        velocity_map(product, os.path.join(SHARED, "kaskawulsh_glaft_demo",
                                           "glacier_V1_Kaskawulsh_s_inwardBuffer600m.shp"))
        timeseries_dock(tmp)
        itslive_import(tmp)
    app.exitQgis()


if __name__ == "__main__":
    main()
