"""glacvel demo: the whole chain on the bundled real data, headless, as a user would chain it.

1. Yahtse Glacier, Landsat-8 B8 pair 2016-07-18 / 2016-08-03:
   glacvel:optical_correlation → glacvel:stable_ground_correction (digitised bedrock
   polygons) → glacvel:stable_ground_error.
2. Kaskawulsh Glacier, Landsat-8 (2018-03-04→04-05) and Sentinel-2 (2018-03-04→03-14)
   velocity maps: glacvel:import_velocity → glacvel:stable_ground_error →
   glacvel:fit_fusion_weights against GNSS stations → glacvel:monthly_velocity (201803.tif)
   → glacvel:validate_velocity against the held-out station.
3. A QGIS project with every output styled, a PNG map per product (colours, arrows,
   legend, scale bar) and report.md with the numbers.

Usage: ``python scripts/demo.py [OUTPUT_FOLDER]`` (default ``demo_output``), or ``make demo``.
"""
import csv
import glob
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "demo", "data")
sys.path.insert(0, ROOT)
sys.path.append("/usr/share/qgis/python/plugins")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# QGIS writes .aux.xml statistics beside rasters it reads; keep the (shared) data untouched
os.environ.setdefault("GDAL_PAM_ENABLED", "NO")

T0 = time.time()


def say(msg):
    print(f"[{time.time() - T0:6.1f} s] {msg}", flush=True)


def start_qgis():
    from qgis.core import QgsApplication
    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing
    Processing.initialize()
    from glacvel_plugin.processing_provider.provider import GlacvelProvider
    provider = GlacvelProvider()
    QgsApplication.processingRegistry().addProvider(provider)
    return app, provider


class Feedback:
    """Processing feedback that prints a compact progress line for each algorithm."""

    def __new__(cls, label):
        from qgis.core import QgsProcessingFeedback

        class _F(QgsProcessingFeedback):
            def __init__(self):
                super().__init__()
                self._last = -10
                self.progressChanged.connect(self._progress)

            def _progress(self, p):
                if p >= self._last + 25 or p >= 100 and self._last < 100:
                    self._last = p
                    print(f"           {label}: {p:3.0f} %", flush=True)

            def reportError(self, error, fatalError=False):
                print(f"           {label}: ERROR {error}", flush=True)

        return _F()


def run(alg_id, params, label=None):
    import processing
    from qgis.core import QgsProcessingContext, QgsProject
    label = label or alg_id.split(":")[1]
    say(f"{alg_id}")
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    return processing.run(alg_id, params, context=context, feedback=Feedback(label))


def gnss_layer(path_out, csv_files):
    """GeoPackage of GNSS station velocities (vx, vy in m/d) from the displacement CSVs.

    In these CSVs ``date1`` is the later date, ``start_*`` the position at date1 and
    ``end_*`` the position at date2 (earlier): displacement = start − end over
    date1 − date2 (see demo/data/kaskawulsh/SOURCE.txt). Stations are numbered by their
    row (the same three stations in every file); each station keeps its longest
    observed interval, placed at its mid-period position. Returns (path, features).
    """
    import datetime as dt

    from qgis.core import (QgsCoordinateReferenceSystem, QgsCoordinateTransformContext,
                           QgsFeature, QgsField, QgsFields, QgsGeometry, QgsPointXY,
                           QgsVectorFileWriter, QgsWkbTypes)
    from qgis.PyQt.QtCore import QVariant
    best = {}
    for f in csv_files:
        with open(f, newline="") as fh:
            rows_in = list(csv.DictReader(fh))
        for row in rows_in:
            if not (row["start_easting"] and row["end_easting"]):
                continue
            late, early = (dt.date.fromisoformat(row[k]) for k in ("date1", "date2"))
            days = (late - early).days
            se, sn, ee, en = (float(row[k]) for k in ("start_easting", "start_northing",
                                                       "end_easting", "end_northing"))
            station = int(row[""])
            if station not in best or days > best[station][2]:
                best[station] = (early, late, days, (se - ee) / days, (sn - en) / days,
                                 (se + ee) / 2, (sn + en) / 2)
    fields = QgsFields()
    for name, typ in (("station", QVariant.Int), ("start_date", QVariant.String),
                      ("end_date", QVariant.String), ("dt_days", QVariant.Double),
                      ("vx", QVariant.Double), ("vy", QVariant.Double), ("v", QVariant.Double)):
        fields.append(QgsField(name, typ))
    opts = QgsVectorFileWriter.SaveVectorOptions()
    opts.driverName = "GPKG"
    writer = QgsVectorFileWriter.create(path_out, fields, QgsWkbTypes.Point,
                                        QgsCoordinateReferenceSystem("EPSG:32607"),
                                        QgsCoordinateTransformContext(), opts)
    rows = []
    for station, (early, late, days, vx, vy, x, y) in sorted(best.items()):
        feat = QgsFeature(fields)
        feat.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x, y)))
        feat.setAttributes([station, early.isoformat(), late.isoformat(), float(days),
                            vx, vy, (vx ** 2 + vy ** 2) ** 0.5])
        writer.addFeature(feat)
        rows.append({"station": station, "period": f"{early} → {late}", "vx": vx, "vy": vy})
    del writer
    return path_out, rows


def yahtse(out, results):
    """Step 1: Yahtse Landsat-8 pair → velocity, stable-ground correction and error."""
    ydir = os.path.join(out, "yahtse")
    os.makedirs(ydir, exist_ok=True)
    ydata = os.path.join(DATA, "yahtse")
    stable = os.path.join(ydata, "stable_ground.geojson")
    r = run("glacvel:optical_correlation", {
        "REFERENCE": os.path.join(ydata, "LC80630182016200LGN00_B8_yahtse_crop.TIF"),
        "SECONDARY": os.path.join(ydata, "LC80630182016216LGN00_B8_yahtse_crop.TIF"),
        "MAX_SPEED": 25.0,
        "OUTPUT": os.path.join(ydir, "yahtse_velocity_raw.tif")})
    raw = r["OUTPUT"]
    r = run("glacvel:stable_ground_correction", {
        "INPUT": raw, "STABLE_GROUND": stable, "ERROR_MEASURE": 1,  # robust: outliers on rock
        "OUTPUT": os.path.join(ydir, "yahtse_velocity.tif")})
    results["yahtse_correction"] = {k: v for k, v in r.items() if k != "OUTPUT"}
    yahtse = r["OUTPUT"]
    r = run("glacvel:stable_ground_error", {
        "INPUT": yahtse, "STABLE_GROUND": stable, "ERROR_MEASURE": 1,
        "OUTPUT_TABLE": os.path.join(ydir, "stable_ground_stats.csv"),
        "OUTPUT_REPORT": os.path.join(ydir, "stable_ground_report.html"),
        "OUTPUT_ERROR": os.path.join(ydir, "yahtse_stable_ground_error.tif")})
    results["yahtse_error"] = r
    results["yahtse_speed"] = trunk_summary(yahtse)
    return yahtse


# A box on Yahtse's lower trunk (EPSG:32607), between the medial moraines, 2-3 km above the
# terminus; drawn on the 2016-07-18 image.
YAHTSE_TRUNK_BOX = (479300.0, 6669500.0, 480200.0, 6671000.0)


def trunk_summary(path, box=YAHTSE_TRUNK_BOX):
    """Median speed (m/d) and flow azimuth (degrees from north) inside ``box`` of a product."""
    import numpy as np

    from glacvel_plugin.io.product import read_product
    p = read_product(path, bands=["v", "vx", "vy"])
    rows, cols = p.shape
    xs = p.transform.c + p.transform.a * (np.arange(cols) + 0.5)
    ys = p.transform.f + p.transform.e * (np.arange(rows) + 0.5)
    inx = (xs >= box[0]) & (xs <= box[2])
    iny = (ys >= box[1]) & (ys <= box[3])
    sel = np.ix_(iny, inx)
    v, vx, vy = (p.band(b)[sel] for b in ("v", "vx", "vy"))
    az = float(np.degrees(np.arctan2(np.nanmedian(vx), np.nanmedian(vy))) % 360)
    names = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W",
             "WNW", "NW", "NNW"]
    return {"trunk_median_v": float(np.nanmedian(v)), "trunk_direction_deg": az,
            "trunk_direction_text": names[int((az + 11.25) // 22.5) % 16],
            "valid_fraction": float(np.isfinite(p.band("v")).mean())}


def kaskawulsh(out, results):
    """Step 2: Kaskawulsh L8 + S2 maps → import, error, weights vs GNSS, 201803.tif, validation."""
    kdir = os.path.join(out, "kaskawulsh")
    os.makedirs(kdir, exist_ok=True)
    kdata = os.path.join(DATA, "kaskawulsh")
    kstable = os.path.join(kdata, "stable_ground", "bedrock_V1.shp")
    sources = {}
    for sensor, prefix, start, end in (
            ("L8", "LS8-061018_20180304-20180405", "2018-03-04T00:00:00", "2018-04-05T00:00:00"),
            ("S2", "Sen2-Orb14_20180304-20180314", "2018-03-04T00:00:00", "2018-03-14T00:00:00")):
        f = lambda comp: glob.glob(os.path.join(kdata, f"{prefix}_velo-corrected_{comp}_*.tif"))[0]
        r = run("glacvel:import_velocity", {
            "VX": f("vx"), "VY": f("vy"), "VX_ERROR": f("errx"), "VY_ERROR": f("erry"),
            "UNITS": 0, "START_DATE": start, "END_DATE": end, "SENSOR": sensor,
            "OUTPUT": os.path.join(kdir, f"{sensor}_{prefix.split('_')[1]}.tif")}, f"import {sensor}")
        sources[sensor] = r["OUTPUT"]
        r = run("glacvel:stable_ground_error", {
            "INPUT": sources[sensor], "STABLE_GROUND": kstable,
            "OUTPUT_TABLE": os.path.join(kdir, f"stable_ground_stats_{sensor}.csv"),
            "OUTPUT_REPORT": os.path.join(kdir, f"stable_ground_report_{sensor}.html"),
            "OUTPUT_ERROR": os.path.join(kdir, f"{sensor}_stable_ground_error.tif")},
            f"stable ground {sensor}")
        results[f"kaskawulsh_error_{sensor}"] = r
    gnss, stations = gnss_layer(os.path.join(kdir, "gnss_stations.gpkg"),
                                sorted(glob.glob(os.path.join(kdata, "gps", "*.csv"))))
    say(f"GNSS reference: {len(stations)} stations")
    results["gnss_stations"] = stations
    # weights fitted on the stations; every station is held out once (leave-one-station-out)
    r = run("glacvel:fit_fusion_weights", {
        "SOURCES": list(sources.values()), "REFERENCE_POINTS": gnss, "ID_FIELD": "station",
        "OUTPUT_HTML": os.path.join(kdir, "fusion_weights.html")})
    results["weights"] = r
    r = run("glacvel:monthly_velocity", {
        "SOURCES": list(sources.values()), "WEIGHTS": r["WEIGHTS_TEXT"],
        "OUTPUT_FOLDER": os.path.join(kdir, "monthly")})
    results["monthly"] = r
    monthly = os.path.join(kdir, "monthly", "201803.tif")
    r = run("glacvel:validate_velocity", {
        "INPUT": monthly, "SOURCES": list(sources.values()), "REFERENCE_POINTS": gnss,
        "ID_FIELD": "station", "OUTPUT_HTML": os.path.join(kdir, "validation.html")})
    results["validation"] = r
    return sources, monthly


def main(out):
    os.makedirs(out, exist_ok=True)
    app, provider = start_qgis()
    results = {}
    say("1/3 Yahtse Glacier: Landsat-8 correlation and stable ground")
    yahtse_product = yahtse(out, results) if os.environ.get("GLACVEL_DEMO_SKIP") != "yahtse" else None
    say("2/3 Kaskawulsh Glacier: Landsat-8 + Sentinel-2 fusion against GNSS")
    sources, monthly = kaskawulsh(out, results)
    say("3/3 styled QGIS project, maps and report")
    from demo_outputs import write_project_maps_report
    def noise(key):  # arrows only above twice the stable-ground NMAD
        r = results.get(key, {})
        return 2 * max(r.get("NMAD_VX", 0.0), r.get("NMAD_VY", 0.0))
    products = {"Yahtse (Landsat-8, 2016-07-18 → 08-03)": (yahtse_product, noise("yahtse_error")),
                "Kaskawulsh fused, March 2018": (monthly, noise("kaskawulsh_error_L8")),
                "Kaskawulsh Landsat-8 (2018-03-04 → 04-05)": (sources["L8"],
                                                              noise("kaskawulsh_error_L8")),
                "Kaskawulsh Sentinel-2 (2018-03-04 → 03-14)": (sources["S2"],
                                                               noise("kaskawulsh_error_S2"))}
    write_project_maps_report(out, {k: v for k, v in products.items() if v[0]}, results)
    from demo_outputs import numbers_markdown
    print(numbers_markdown(results))
    say(f"done. Outputs in {os.path.abspath(out)}: report.md, maps/*.png, glacvel_demo.qgz "
        "(open it in desktop QGIS: Project > Open)")
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "demo_output"))
