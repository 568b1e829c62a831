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
                       QgsLegendStyle, QgsMapLayerLegendUtils)
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
    node = root.addLayer(raster)
    node.setUseLayerName(False)
    node.setName("Speed")
    QgsMapLayerLegendUtils.setLegendNodeUserLabel(node, 0, "v (m/d)")
    legend.model().refreshLayerLegend(node)
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


def _f(v, nd=4):
    try:
        return f"{float(v):.{nd}f}"
    except (TypeError, ValueError):
        return "–"


def _stable_rows(label, r):
    return (f"| {label} | {r.get('N_PIXELS', r.get('N_EVAL', '–'))} | {_f(r.get('MEDIAN_VX'))} | "
            f"{_f(r.get('MEDIAN_VY'))} | {_f(r.get('MEAN_VX'))} | "
            f"{_f(r.get('MEAN_VY'))} | {_f(r.get('STD_VX'))} | {_f(r.get('STD_VY'))} | "
            f"{_f(r.get('NMAD_VX'))} | {_f(r.get('NMAD_VY'))} | {_f(r.get('DELTA_U'))} | "
            f"{_f(r.get('DELTA_V'))} |")


def numbers_markdown(results):
    """The demo's numbers as Markdown tables (also printed on the terminal)."""
    L = []
    stable = [(k, v) for k, v in results.items() if k.endswith("_error") or "_error_" in k]
    if "yahtse_speed" in results:
        y = results["yahtse_speed"]
        L += ["### Yahtse Glacier velocity (Landsat-8, 16 days)", "",
              f"Trunk (box on the lower tongue): median speed {_f(y['trunk_median_v'], 2)} m/d, "
              f"direction {_f(y['trunk_direction_deg'], 0)}° from north (flow to the "
              f"{y['trunk_direction_text']}); valid windows {_f(100 * y['valid_fraction'], 1)} %.", ""]
    if "yahtse_correction" in results:
        c = results["yahtse_correction"]
        L += ["### Yahtse co-registration correction (stable ground)", "",
              f"Model {c.get('MODEL', '–')}: offset vx {_f(c.get('OFFSET_VX'))} m/d, "
              f"vy {_f(c.get('OFFSET_VY'))} m/d, fitted on {c.get('N_FIT', '–')} stable pixels, "
              f"evaluated on {c.get('N_EVAL', '–')} held-out pixels "
              f"(held-out NMAD vx {_f(c.get('NMAD_VX'))}, vy {_f(c.get('NMAD_VY'))} m/d).", ""]
    if stable:
        L += ["### Stable-ground error (m/d)", "",
              "| product | n | median vx | median vy | mean vx | mean vy | std vx | std vy | NMAD vx | NMAD vy | δu (GLAFT) | δv (GLAFT) |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        L += [_stable_rows(k.replace("_error", "").replace("_", " "), v) for k, v in stable] + [""]
    if "gnss_stations" in results:
        L += ["### GNSS reference (Kaskawulsh)", "", "| station | period | vx (m/d) | vy (m/d) |",
              "|---|---|---|---|"]
        L += [f"| {s['station']} | {s['period']} | {_f(s['vx'], 3)} | {_f(s['vy'], 3)} |"
              for s in results["gnss_stations"]] + [""]
    if "weights" in results:
        w = results["weights"]
        L += ["### Fusion weights (constrained least squares against GNSS)", "",
              "| source | weight | ± (bootstrap) | RMSE of the source alone (m/d) |",
              "|---|---|---|---|"]
        for name, wt in w.get("WEIGHTS", {}).items():
            L.append(f"| {name} | {_f(wt, 3)} | {_f(w.get('WEIGHT_STD', {}).get(name), 3)} | "
                     f"{_f(w.get('SOURCE_RMSE', {}).get(name))} |")
        L += ["", f"Fused, leave-one-station-out RMSE: {_f(w.get('CV_RMSE'))} m/d "
              f"(each station held out once; weights refitted on the others):", "",
              "| held-out station | weights | fused RMSE | " +
              " | ".join(f"{n} RMSE" for n in w.get("WEIGHTS", {})) + " |",
              "|---|---|---|" + "---|" * len(w.get("WEIGHTS", {}))]
        for fold in w.get("CV_FOLDS", []):
            ws = ", ".join(f"{k}={_f(v, 2)}" for k, v in fold["weights"].items())
            L.append(f"| {fold['group']} | {ws} | {_f(fold['rmse'])} | " +
                     " | ".join(_f(fold["source_rmse"].get(n)) for n in w["WEIGHTS"]) + " |")
        L.append("")
    if "validation" in results:
        L += ["### Validation of 201803.tif against the GNSS stations (m/d)", "",
              "| product | n | bias mean (speed) | bias std (speed) | RMSE (speed) | RMSE (vx, vy) |",
              "|---|---|---|---|---|---|"]
        for lab, st in results["validation"].get("STATS", {}).items():
            sp, co = st["speed"], st["components"]
            L.append(f"| {lab} | {sp['n']} | {_f(sp['mean'])} | {_f(sp['std'])} | "
                     f"{_f(sp['rmse'])} | {_f(co['rmse'])} |")
        L.append("")
    return "\n".join(L)


def write_project_maps_report(out, products, results):
    """Styled project ``glacvel_demo.qgz``, ``maps/*.png`` and ``report.md`` in ``out``.

    ``products``: title → (product path, minimum speed for an arrow in m/d, e.g. twice
    the stable-ground noise); ``results``: step name → Processing results.
    """
    project = QgsProject.instance()
    project.clear()
    maps_dir = os.path.join(out, "maps")
    os.makedirs(maps_dir, exist_ok=True)
    pngs = {}
    for i, (title, (path, min_arrow)) in enumerate(products.items()):
        layers = styling.load_output(path, group_name=title, arrows=False, project=project,
                                     name=os.path.splitext(os.path.basename(path))[0])
        raster = layers[0]
        mem = styling.arrows_layer(path, min_speed=min_arrow, name=f"{raster.name()} arrows")
        arrows = _persist_arrows(mem, os.path.splitext(path)[0] + "_arrows.gpkg")
        project.addMapLayer(arrows, False)
        styling.run_group(title, project).insertLayer(0, arrows)
        png = os.path.join(maps_dir, f"{i + 1}_{os.path.splitext(os.path.basename(path))[0]}.png")
        pngs[title] = _render_map(project, title, raster, arrows, png)
    qgz = os.path.join(out, "glacvel_demo.qgz")
    project.write(qgz)

    lines = ["# glacvel demo report", "",
             f"QGIS project: `{os.path.basename(qgz)}` (open it in desktop QGIS). Maps: `maps/`.", ""]
    for title, png in pngs.items():
        lines += [f"## {title}", "", f"![{title}](maps/{os.path.basename(png)})", ""]
    lines += ["## Numbers", "", numbers_markdown(results)]
    report = os.path.join(out, "report.md")
    with open(report, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1, default=str)
    return qgz, pngs, report
