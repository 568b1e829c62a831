"""Demo outputs a user opens: a styled QGIS project, one PNG map per product, report.md.

Maps are QGIS print layouts (map, legend, scale bar, north-up title) exported to PNG,
so they look exactly like the project opened in desktop QGIS.
"""
import json
import os

from qgis.core import (QgsLayoutExporter, QgsLayoutItemLabel, QgsLayoutItemLegend,
                       QgsLayoutItemMap, QgsLayoutItemScaleBar, QgsLayoutPoint, QgsLayoutSize,
                       QgsPrintLayout, QgsProject, QgsRectangle, QgsUnitTypes,
                       QgsVectorFileWriter, QgsVectorLayer, QgsCoordinateTransformContext,
                       QgsLegendStyle)
from qgis.PyQt.QtGui import QFont

from glacvel_plugin import styling


def _persist_arrows(layer, path):
    """Write a memory arrows layer to a GeoPackage and return the file-backed layer (same style)."""
    opts = QgsVectorFileWriter.SaveVectorOptions()
    opts.driverName = "GPKG"
    res = QgsVectorFileWriter.writeAsVectorFormatV3(layer, path, QgsCoordinateTransformContext(),
                                                     opts)
    if res[0] != QgsVectorFileWriter.NoError:
        raise RuntimeError(f"cannot write {path}: {res[1]}")
    disk = QgsVectorLayer(path, layer.name(), "ogr")
    disk.setRenderer(layer.renderer().clone())
    return disk


def _nice(x):
    """The largest of 1, 2, 5 × 10^k not above ``x`` (scale-bar segment lengths)."""
    import math
    k = 10 ** math.floor(math.log10(x))
    return max(m * k for m in (1, 2, 5) if m * k <= x)


def _render_map(project, title, raster, arrows, png_path, width_mm=180.0):
    extent = raster.extent()
    aspect = extent.height() / extent.width()
    map_h = width_mm * aspect
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    page = layout.pageCollection().page(0)
    page.setPageSize(QgsLayoutSize(width_mm + 70, max(map_h, 120) + 30, QgsUnitTypes.LayoutMillimeters))
    label = QgsLayoutItemLabel(layout)
    label.setText(title)
    label.setFont(QFont("Sans", 14))
    label.attemptMove(QgsLayoutPoint(8, 4, QgsUnitTypes.LayoutMillimeters))
    label.attemptResize(QgsLayoutSize(width_mm + 50, 10, QgsUnitTypes.LayoutMillimeters))
    layout.addLayoutItem(label)
    m = QgsLayoutItemMap(layout)
    m.attemptMove(QgsLayoutPoint(8, 16, QgsUnitTypes.LayoutMillimeters))
    m.attemptResize(QgsLayoutSize(width_mm, map_h, QgsUnitTypes.LayoutMillimeters))
    m.setLayers([lyr for lyr in (arrows, raster) if lyr is not None])
    m.setCrs(raster.crs())
    m.setExtent(QgsRectangle(extent))
    m.setFrameEnabled(True)
    layout.addLayoutItem(m)
    legend = QgsLayoutItemLegend(layout)
    legend.setLinkedMap(m)
    legend.setAutoUpdateModel(False)
    root = legend.model().rootGroup()
    root.clear()
    root.addLayer(raster)
    legend.setTitle("")
    legend.setStyleFont(QgsLegendStyle.SymbolLabel, QFont("Sans", 9))
    legend.attemptMove(QgsLayoutPoint(width_mm + 12, 16, QgsUnitTypes.LayoutMillimeters))
    layout.addLayoutItem(legend)
    bar = QgsLayoutItemScaleBar(layout)
    bar.setStyle("Single Box")
    bar.setLinkedMap(m)
    bar.setUnits(QgsUnitTypes.DistanceKilometers)
    bar.setUnitLabel("km")
    bar.setNumberOfSegments(4)
    bar.setNumberOfSegmentsLeft(0)
    bar.setUnitsPerSegment(_nice(extent.width() / 1000.0 / 8.0))
    bar.attemptMove(QgsLayoutPoint(10, 16 + map_h + 3, QgsUnitTypes.LayoutMillimeters))
    layout.addLayoutItem(bar)
    exporter = QgsLayoutExporter(layout)
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = 110
    settings.generateWorldFile = False
    settings.exportMetadata = False
    from osgeo import gdal
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # QGIS tries to georeference the PNG in place
    try:
        res = exporter.exportToImage(png_path, settings)
    finally:
        gdal.PopErrorHandler()
    if res != QgsLayoutExporter.Success:
        raise RuntimeError(f"map export failed for {png_path}: {res}")
    return png_path


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    return str(v)


def _table(d, keys=None):
    keys = keys or [k for k, v in d.items() if isinstance(v, (int, float, dict)) and not isinstance(v, bool)]
    rows = ["| key | value |", "|---|---|"] + [f"| {k} | {_fmt(d[k])} |" for k in keys if k in d]
    return "\n".join(rows)


def write_project_maps_report(out, products, results):
    """Styled project ``glacvel_demo.qgz``, ``maps/*.png`` and ``report.md`` in ``out``.

    ``products``: title → product path; ``results``: step name → Processing results.
    """
    project = QgsProject.instance()
    project.clear()
    maps_dir = os.path.join(out, "maps")
    os.makedirs(maps_dir, exist_ok=True)
    pngs = {}
    for i, (title, path) in enumerate(products.items()):
        layers = styling.load_output(path, group_name=title, arrows=True, project=project,
                                     name=os.path.splitext(os.path.basename(path))[0])
        raster = [lyr for lyr in layers if lyr.type() == lyr.RasterLayer][0]
        arrows = None
        mem = [lyr for lyr in layers if lyr.type() == lyr.VectorLayer]
        if mem:
            gpkg = os.path.splitext(path)[0] + "_arrows.gpkg"
            arrows = _persist_arrows(mem[0], gpkg)
            group = styling.run_group(title, project)
            project.removeMapLayer(mem[0].id())
            project.addMapLayer(arrows, False)
            group.insertLayer(0, arrows)
        png = os.path.join(maps_dir, f"{i + 1}_{os.path.splitext(os.path.basename(path))[0]}.png")
        pngs[title] = _render_map(project, title, raster, arrows, png)
    qgz = os.path.join(out, "glacvel_demo.qgz")
    project.write(qgz)

    lines = ["# glacvel demo report", "",
             f"QGIS project: `{os.path.basename(qgz)}` (open it in desktop QGIS). Maps: `maps/`.", ""]
    for title, png in pngs.items():
        lines += [f"## {title}", "", f"![{title}](maps/{os.path.basename(png)})", ""]
    lines += ["## Numbers", ""]
    for step, res in results.items():
        lines += [f"### {step}", "", _table(res), ""]
    report = os.path.join(out, "report.md")
    with open(report, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1, default=str)
    return qgz, pngs, report
