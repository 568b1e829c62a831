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
    """GeoPackage of GNSS stations with vx/vy (m/d) from the displacement CSVs.

    In these CSVs ``date1`` is the later date, ``start_*`` the position at date1 and
    ``end_*`` the position at date2 (earlier): displacement = start − end over
    date1 − date2 (see demo/data/kaskawulsh/SOURCE.txt). Stations are numbered by
    their row in the file (the same three stations in every file).
    """
    import datetime as dt

    from qgis.core import (QgsCoordinateReferenceSystem, QgsFeature, QgsField, QgsFields,
                           QgsGeometry, QgsPointXY, QgsVectorFileWriter, QgsWkbTypes,
                           QgsCoordinateTransformContext)
    from qgis.PyQt.QtCore import QVariant
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
    n = 0
    for f in csv_files:
        for row in csv.DictReader(open(f)):
            if not (row["start_easting"] and row["end_easting"]):
                continue
            late, early = (dt.date.fromisoformat(row[k]) for k in ("date1", "date2"))
            days = (late - early).days
            se, sn, ee, en = (float(row[k]) for k in ("start_easting", "start_northing",
                                                       "end_easting", "end_northing"))
            vx, vy = (se - ee) / days, (sn - en) / days
            feat = QgsFeature(fields)
            # the station's mid-period position
            feat.setGeometry(QgsGeometry.fromPointXY(QgsPointXY((se + ee) / 2, (sn + en) / 2)))
            feat.setAttributes([int(row[""]), early.isoformat(), late.isoformat(), float(days),
                                vx, vy, (vx ** 2 + vy ** 2) ** 0.5])
            writer.addFeature(feat)
            n += 1
    del writer
    return path_out, n


def main(out):
    os.makedirs(out, exist_ok=True)
    app, provider = start_qgis()
    results = {}

    # 1. Yahtse: correlation, stable-ground correction and error ------------------------
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
        "INPUT": raw, "STABLE_GROUND": stable,
        "OUTPUT": os.path.join(ydir, "yahtse_velocity.tif")})
    results["yahtse_correction"] = {k: v for k, v in r.items() if k != "OUTPUT"}
    yahtse = r["OUTPUT"]
    r = run("glacvel:stable_ground_error", {
        "INPUT": yahtse, "STABLE_GROUND": stable,
        "OUTPUT_TABLE": os.path.join(ydir, "stable_ground_stats.csv"),
        "OUTPUT_REPORT": os.path.join(ydir, "stable_ground_report.html")})
    results["yahtse_error"] = r

    # 2. Kaskawulsh: import, error, weights, monthly fusion, validation --------------------
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
            "OUTPUT_REPORT": os.path.join(kdir, f"stable_ground_report_{sensor}.html")},
            f"stable ground {sensor}")
        results[f"kaskawulsh_error_{sensor}"] = r
    gnss, n = gnss_layer(os.path.join(kdir, "gnss_stations.gpkg"),
                         sorted(glob.glob(os.path.join(kdata, "gps", "*.csv"))))
    say(f"GNSS reference: {n} station velocities")
    r = run("glacvel:fit_fusion_weights", {
        "SOURCES": list(sources.values()), "REFERENCE_POINTS": gnss})
    results["weights"] = r
    r = run("glacvel:monthly_velocity", {
        "SOURCES": list(sources.values()), "WEIGHTS": r["WEIGHTS"],
        "OUTPUT_FOLDER": os.path.join(kdir, "monthly")})
    results["monthly"] = r
    monthly = os.path.join(kdir, "monthly", "201803.tif")
    r = run("glacvel:validate_velocity", {
        "INPUT": monthly, "REFERENCE_POINTS": gnss,
        "OUTPUT_REPORT": os.path.join(kdir, "validation_report.html")})
    results["validation"] = r

    # 3. Project, maps, report ---------------------------------------------------------------
    from demo_outputs import write_project_maps_report
    write_project_maps_report(out, {"Yahtse (Landsat-8, 2016-07-18 → 08-03)": yahtse,
                                    "Kaskawulsh fused, March 2018": monthly,
                                    "Kaskawulsh Landsat-8 (2018-03-04 → 04-05)": sources["L8"],
                                    "Kaskawulsh Sentinel-2 (2018-03-04 → 03-14)": sources["S2"]},
                              results)
    say(f"done. Outputs in {os.path.abspath(out)}")
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "demo_output"))
