"""glacvel:flowline_profile and glacvel:glacier_statistics through processing.run.

Real data: the GLAFT Kaskawulsh Landsat 8 velocity (2018-03-04 → 04-05, 60 m) and the
bedrock-corrected Landsat 8 pair 2018-08-02 → 08-18 (120 m, with errx/erry), turned into
glacvel products here with io.product.write_product (v = hypot(vx, vy); v_error from
the ITS_LIVE formula), sampled along the trunk flowline in
tests/data/kaskawulsh_flowline. Synthetic products carry a speed field that is linear in
map coordinates, which bilinear sampling must reproduce exactly.
"""
import csv
import datetime as dt
import json

import numpy as np
import pytest
import rasterio
import rasterio.warp
from affine import Affine
from rasterio.crs import CRS

from glacvel_plugin.io.product import standard_tags, write_product
from tests.conftest import carst_velocity, test_data as data_path

UTM7 = CRS.from_epsg(32607)
TRUNK = "kaskawulsh_flowline/kaskawulsh_trunk.geojson"


# ---------------------------------------------------------------------------------------
# helpers


def _read(path):
    with rasterio.open(path) as ds:
        a = ds.read(1).astype(np.float32)
        a[a == ds.nodata] = np.nan
        return a, ds.transform, ds.crs


def write_geojson(path, crs_epsg, geometries, props=None):
    """A GeoJSON file (legacy 'crs' member, which OGR honours) with the given geometries."""
    feats = [{"type": "Feature", "properties": (props or [{}] * len(geometries))[i],
              "geometry": g} for i, g in enumerate(geometries)]
    with open(path, "w") as f:
        json.dump({"type": "FeatureCollection",
                   "crs": {"type": "name",
                           "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs_epsg}"}},
                   "features": feats}, f)
    return str(path)


def to_crs(coords, src, dst):
    xs, ys = rasterio.warp.transform(CRS.from_epsg(src), CRS.from_epsg(dst),
                                     [c[0] for c in coords], [c[1] for c in coords])
    return [[x, y] for x, y in zip(xs, ys)]


def _recording_feedback():
    from qgis.core import QgsProcessingFeedback

    class Recording(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.messages = []

        def pushInfo(self, text):
            self.messages.append(text)
            super().pushInfo(text)

        def pushWarning(self, text):
            self.messages.append(text)
            super().pushWarning(text)
    return Recording()


RecordingFeedback = _recording_feedback


def is_null(value):
    return value is None or str(value) == "NULL"


def layer_rows(layer):
    names = layer.fields().names()
    rows = []
    for f in layer.getFeatures():
        r = {n: (None if is_null(f[n]) else f[n]) for n in names}
        p = f.geometry().asPoint()
        r["_x"], r["_y"] = p.x(), p.y()
        rows.append(r)
    return rows


@pytest.fixture(scope="module")
def kaskawulsh_products(tmp_path_factory):
    """201803.tif (GLAFT demo, 60 m) and 201808.tif (LS8 Aug, 120 m, with v_error)."""
    d = tmp_path_factory.mktemp("kask")
    vx, t, crs = _read(data_path("kaskawulsh_glaft_demo", "20180304-20180405_velo-raw_vx.tif"))
    vy, _, _ = _read(data_path("kaskawulsh_glaft_demo", "20180304-20180405_velo-raw_vy.tif"))
    march = write_product(str(d / "201803.tif"), {"v": np.hypot(vx, vy), "vx": vx, "vy": vy},
                          t, crs, standard_tags("L8", dt.datetime(2018, 3, 4),
                                                dt.datetime(2018, 4, 5), "CARST"))
    base = "LS8-062017_20180802-20180818"
    vx, t, crs = _read(carst_velocity(base, "vx"))
    vy, _, _ = _read(carst_velocity(base, "vy"))
    ex, _, _ = _read(carst_velocity(base, "errx"))
    ey, _, _ = _read(carst_velocity(base, "erry"))
    v = np.hypot(vx, vy)
    with np.errstate(invalid="ignore", divide="ignore"):
        verr = np.sqrt((ex * vx) ** 2 + (ey * vy) ** 2) / v
    august = write_product(str(d / "201808.tif"), {"v": v, "vx": vx, "vy": vy, "v_error": verr},
                           t, crs, standard_tags("L8", dt.datetime(2018, 8, 2),
                                                 dt.datetime(2018, 8, 18), "CARST"))
    return march, august


# synthetic field: speed s(x, y) linear in UTM 7N coordinates, constant flow direction,
# so v, vx and vy are all exactly linear and bilinear sampling reproduces them exactly
X0, Y0 = 600000.0, 6730000.0
DIRECTION = np.radians(30.0)


def speed(x, y):
    return 0.5 + 2e-4 * (np.asarray(x) - X0) - 1e-4 * (np.asarray(y) - Y0)


def synthetic_product(path, transform, shape, crs, field_crs=UTM7, start=None, end=None,
                      nan_box=None, scale=1.0, units="m/d", bands=("v", "vx", "vy")):
    rows, cols = shape
    jj, ii = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
    x, y = transform * (jj, ii)
    if crs != field_crs:
        fx, fy = rasterio.warp.transform(crs, field_crs, x.ravel(), y.ravel())
        x, y = np.reshape(fx, x.shape), np.reshape(fy, y.shape)
    s = (scale * speed(x, y)).astype(np.float32)
    if nan_box is not None:
        r0, r1, c0, c1 = nan_box
        s[r0:r1, c0:c1] = np.nan
    arrays = {"v": s, "vx": s * np.float32(np.cos(DIRECTION)),
              "vy": s * np.float32(np.sin(DIRECTION))}
    tags = standard_tags("synthetic", start or dt.datetime(2020, 6, 1),
                         end or dt.datetime(2020, 7, 1), "analytic", units=units)
    return write_product(str(path), {b: arrays[b] for b in bands}, transform, crs, tags)


SYN_T = Affine(60.0, 0.0, 595000.0, 0.0, -60.0, 6735000.0)   # 200 x 200 px, 12 km
SYN_SHAPE = (200, 200)


# ---------------------------------------------------------------------------------------
# flowline_profile


def test_kaskawulsh_trunk_profile_real_data(run_alg, kaskawulsh_products, tmp_path):
    march, august = kaskawulsh_products
    out_csv, out_html = str(tmp_path / "profile.csv"), str(tmp_path / "profile.html")
    res = run_alg("glacvel:flowline_profile", {
        "INPUT": [march, august], "FLOWLINES": data_path(TRUNK),
        "LINE_ID_FIELD": "line_id", "OUTPUT": "TEMPORARY_OUTPUT",
        "OUTPUT_CSV": out_csv, "OUTPUT_REPORT": out_html})
    layer = res["OUTPUT"]
    assert layer.crs().authid() == "EPSG:32607"
    assert set(layer.fields().names()) >= {"line_id", "part", "distance", "label", "v", "vx",
                                           "vy", "v_error", "start", "end"}
    rows = layer_rows(layer)
    # 51.75 km at the default spacing = the first product's 60 m pixel: 863 steps + end
    assert len(rows) == 2 * 864
    assert {r["line_id"] for r in rows} == {"kaskawulsh_central_trunk"}
    prof = {}
    for lab in ("201803", "201808"):
        rr = sorted((r for r in rows if r["label"] == lab), key=lambda r: r["distance"])
        d = np.array([r["distance"] for r in rr])
        v = np.array([np.nan if r["v"] is None else r["v"] for r in rr])
        prof[lab] = (d, v, rr)
    d, v, rr = prof["201803"]
    assert d[-1] == pytest.approx(51750.9, abs=0.5)
    assert rr[0]["start"] == "2018-03-04T00:00:00Z" and rr[0]["end"] == "2018-04-05T00:00:00Z"
    # values are speed = hypot(vx, vy) at the same point (bilinear of each band)
    vx = np.array([r["vx"] for r in rr])
    vy = np.array([r["vy"] for r in rr])
    assert np.nanmax(np.abs(np.hypot(vx, vy) - v)) < 0.05
    # the March pair covers the whole line; read off the data: 0.34 m/d on average,
    # fastest (0.86 m/d) 10.7 km down the Central Arm, 0.1 m/d at the stagnant terminus
    assert np.isfinite(v).all()
    assert np.mean(v) == pytest.approx(0.3406, abs=0.002)
    assert np.max(v) == pytest.approx(0.861, abs=0.002)
    assert d[np.argmax(v)] == pytest.approx(10680, abs=60)
    seg = lambda a, b: np.nanmedian(v[(d >= a) & (d < b)])  # noqa: E731
    assert seg(10000, 15000) == pytest.approx(0.619, abs=0.01)
    assert seg(0, 5000) == pytest.approx(0.348, abs=0.01)
    assert seg(46750, 52000) < 0.15
    # speed highest mid-glacier: the 5-km running median peaks well inside the line,
    # far above both ends
    run = np.array([np.nanmedian(v[np.abs(d - c) <= 2500]) for c in d])
    peak = d[np.argmax(run)]
    assert 8000 < peak < 20000
    assert run.max() > 1.5 * run[0] and run.max() > 4 * run[-1]

    # August (summer): no data on the upper 12.5 km (reported as gaps, values NULL),
    # faster than March on the trunk, v_error ~0.056 m/d where there are data
    d8, v8, rr8 = prof["201808"]
    missing = ~np.isfinite(v8)
    assert 250 <= missing.sum() <= 280
    assert missing[d8 < 12000].all() and not missing[d8 > 19000].any()
    assert all(r["vx"] is None and r["v_error"] is None for r, m in zip(rr8, missing) if m)
    trunk = (d8 > 20000) & (d8 < 40000)
    assert np.median(v8[trunk]) > np.median(v[trunk]) + 0.08
    e8 = np.array([np.nan if r["v_error"] is None else r["v_error"] for r in rr8])
    assert np.nanmedian(e8) == pytest.approx(0.0563, abs=0.002)
    assert all(r["v_error"] is None for r in rr)          # the March product has no v_error

    # CSV: same rows, empty cells (not zeros) in the gaps
    with open(out_csv, newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == len(rows)
    aug = [t for t in table if t["label"] == "201808"]
    assert sum(1 for t in aug if t["v"] == "") == missing.sum()
    assert not any(t["v"] in ("0", "0.0") for t in aug)
    first = min(table, key=lambda t: (t["label"], float(t["distance"])))
    assert float(first["x"]) == pytest.approx(586510, abs=0.01)
    # report: one plot for the line, the gaps listed with their distances
    html = open(out_html, encoding="utf-8").read()
    assert html.count("<img") == 1 and "201803" in html and "201808" in html
    assert "no data" in html and "12.54" in html


def test_synthetic_multipart_line_sampled_exactly_with_gap(run_alg, tmp_path):
    prod = synthetic_product(tmp_path / "202006.tif", SYN_T, SYN_SHAPE, UTM7,
                             nan_box=(90, 110, 0, 200))   # rows 90–109: y 6728400–6729600
    part1 = [[596000.0, 6734000.0], [604000.0, 6728000.0]]       # 10 km, crosses the NaN rows
    part2 = [[598000.0, 6726000.0], [598000.0, 6725000.0]]       # 1 km
    lines = write_geojson(tmp_path / "lines.geojson", 32607,
                          [{"type": "MultiLineString", "coordinates": [part1, part2]},
                           {"type": "LineString", "coordinates": [[605000, 6733000],
                                                                  [605000, 6732000]]},
                           {"type": "LineString", "coordinates": [[650000, 6733000],
                                                                  [650500, 6733000]]}],
                          [{"name": "a"}, {"name": "b"}, {"name": "c"}])
    log = RecordingFeedback()
    res = run_alg("glacvel:flowline_profile", {
        "INPUT": [prod], "FLOWLINES": lines, "LINE_ID_FIELD": "name", "SPACING": 250,
        "OUTPUT": "TEMPORARY_OUTPUT"}, feedback=log)
    rows = layer_rows(res["OUTPUT"])
    # line c lies east of the raster: a warning, its 3 points NULL
    c = [r for r in rows if r["line_id"] == "c"]
    assert len(c) == 3 and all(r["v"] is None for r in c)
    assert any("line c lies outside every product" in m for m in log.messages)
    # the gap of line a is in the log with its distances
    assert any(m.startswith("line a, 202006: 1 gap(s), 8 of 46 points") and
               "7.50–9.25 km (no data)" in m for m in log.messages)
    a = sorted((r for r in rows if r["line_id"] == "a"), key=lambda r: (r["part"], r["distance"]))
    b = [r for r in rows if r["line_id"] == "b"]
    assert len(a) == 41 + 5 and len(b) == 5
    assert [r["part"] for r in a] == [0] * 41 + [1] * 5
    # the second part continues the distance axis from 10 km (the jump is not counted)
    np.testing.assert_allclose([r["distance"] for r in a[41:]], [10000, 10250, 10500, 10750,
                                                                  11000])
    assert {r["label"] for r in rows} == {"202006"}
    for r in a + b:
        # points in the gap rows and within half a pixel of them have no value
        near_gap = 6728400 - 30 <= r["_y"] <= 6729600 + 30
        if near_gap:
            assert r["v"] is None and r["vx"] is None
            continue
        assert r["v"] == pytest.approx(float(speed(r["_x"], r["_y"])), abs=2e-6)
        assert r["vx"] == pytest.approx(float(speed(r["_x"], r["_y"]) * np.cos(DIRECTION)),
                                        abs=2e-6)
        assert r["vy"] == pytest.approx(float(speed(r["_x"], r["_y"]) * np.sin(DIRECTION)),
                                        abs=2e-6)
    nulls = [r for r in a if r["v"] is None]
    # part 1 has y = 6734000 - 0.6 d: it is within half a pixel of the no-data rows
    # (6728370 < y < 6729630) for 7283 m < d < 9383 m, i.e. the 8 points 7500 ... 9250 m
    assert [r["distance"] for r in nulls] == list(np.arange(7500.0, 9251.0, 250.0))


def test_vectors_and_products_in_other_crs(run_alg, tmp_path):
    """Line layer in EPSG:4326, first product in UTM 7N, second in Web Mercator."""
    utm = synthetic_product(tmp_path / "202006.tif", SYN_T, SYN_SHAPE, UTM7)
    # the same analytic field on an EPSG:3857 grid covering the area (~30 m pixels)
    merc = CRS.from_epsg(3857)
    left, bottom, right, top = rasterio.warp.transform_bounds(UTM7, merc, 595000, 6723000,
                                                              607000, 6735000)
    mt = Affine(60.0, 0.0, left, 0.0, -60.0, top)
    shape = (int((top - bottom) / 60) + 1, int((right - left) / 60) + 1)
    mprod = synthetic_product(tmp_path / "202007.tif", mt, shape, merc,
                              start=dt.datetime(2020, 7, 1), end=dt.datetime(2020, 8, 1))
    utm_line = [[596500.0, 6733500.0], [603500.0, 6727500.0], [606000.0, 6727000.0]]
    lines = write_geojson(tmp_path / "wgs84.geojson", 4326,
                          [{"type": "LineString", "coordinates": to_crs(utm_line, 32607, 4326)}])
    res = run_alg("glacvel:flowline_profile", {
        "INPUT": [utm, mprod], "FLOWLINES": lines, "OUTPUT": "TEMPORARY_OUTPUT"})
    layer = res["OUTPUT"]
    assert layer.crs().authid() == "EPSG:32607"     # points live in the first product's CRS
    rows = layer_rows(layer)
    length = np.hypot(7000, 6000) + np.hypot(2500, 500)
    jun = sorted((r for r in rows if r["label"] == "202006"), key=lambda r: r["distance"])
    jul = sorted((r for r in rows if r["label"] == "202007"), key=lambda r: r["distance"])
    assert len(jun) == len(jul) == int(length // 60) + 2
    assert jun[-1]["distance"] == pytest.approx(length, abs=0.05)   # metres, not degrees
    assert jun[0]["_x"] == pytest.approx(596500, abs=0.01)
    assert jun[0]["_y"] == pytest.approx(6733500, abs=0.01)
    for r6, r7 in zip(jun, jul):
        truth = float(speed(r6["_x"], r6["_y"]))
        assert r6["v"] == pytest.approx(truth, abs=2e-6)
        # Web Mercator grid: same point transformed, bilinear on a curved mapping
        assert r7["v"] == pytest.approx(truth, abs=1e-4)
        assert (r7["_x"], r7["_y"]) == (r6["_x"], r6["_y"])


def test_twelve_monthly_products_units_and_bands(run_alg, tmp_path):
    """Twelve YYYYMM.tif with a seasonal factor; July in m/yr, March without a v band."""
    t = Affine(60.0, 0.0, 599000.0, 0.0, -60.0, 6731000.0)       # 40 x 40 px
    paths, factor = [], {}
    for m in range(1, 13):
        f = 1.0 + 0.3 * np.sin(2 * np.pi * (m - 1) / 12)
        factor[f"2021{m:02d}"] = f
        start = dt.datetime(2021, m, 1)
        end = dt.datetime(2021 + m // 12, m % 12 + 1, 1)
        kw = {}
        if m == 7:
            kw = dict(scale=365.25 * f, units="m/yr")
        elif m == 3:
            kw = dict(scale=f, bands=("vx", "vy"))
        else:
            kw = dict(scale=f)
        paths.append(synthetic_product(tmp_path / f"2021{m:02d}.tif", t, (40, 40), UTM7,
                                       start=start, end=end, **kw))
    lines = write_geojson(tmp_path / "l.geojson", 32607, [
        {"type": "LineString", "coordinates": [[599300, 6730700], [601100, 6729200]]}])
    report = str(tmp_path / "r.html")
    res = run_alg("glacvel:flowline_profile", {
        "INPUT": paths, "FLOWLINES": lines, "SPACING": 100, "OUTPUT": "TEMPORARY_OUTPUT",
        "OUTPUT_REPORT": report})
    rows = layer_rows(res["OUTPUT"])
    n = int(np.hypot(1800, 1500) // 100) + 2
    assert len(rows) == 12 * n
    assert sorted({r["label"] for r in rows}) == sorted(factor)
    for r in rows:
        assert r["month"] == r["label"]
        truth = factor[r["label"]] * float(speed(r["_x"], r["_y"]))
        # m/yr converted to m/d; v formed from vx, vy where the product has no v band
        assert r["v"] == pytest.approx(truth, rel=1e-5)
        assert r["vx"] == pytest.approx(truth * np.cos(DIRECTION), rel=1e-5)
    html = open(report, encoding="utf-8").read()
    assert html.count("<img") == 1
    assert all(f"<td>{lab}</td>" in html for lab in factor)
    assert "No gaps" in html


def test_label_from_tags_and_nearest_sampling(run_alg, tmp_path):
    # no month in the file name: the label comes from the middle of START/END
    prod = synthetic_product(tmp_path / "pair_a.tif", SYN_T, SYN_SHAPE, UTM7,
                             start=dt.datetime(2020, 8, 20), end=dt.datetime(2020, 9, 21))
    lines = write_geojson(tmp_path / "l.geojson", 32607, [
        {"type": "LineString", "coordinates": [[600030, 6730030], [600030 + 600, 6730030]]}])
    res = run_alg("glacvel:flowline_profile", {
        "INPUT": [prod], "FLOWLINES": lines, "METHOD": 1, "SPACING": 100,
        "OUTPUT": "TEMPORARY_OUTPUT"})
    rows = sorted(layer_rows(res["OUTPUT"]), key=lambda r: r["distance"])
    assert {r["label"] for r in rows} == {"202009"}
    # nearest pixel: the value of the pixel centre containing each point
    for r in rows:
        cx = 595000 + (np.floor((r["_x"] - 595000) / 60) + 0.5) * 60
        cy = 6735000 - (np.floor((6735000 - r["_y"]) / 60) + 0.5) * 60
        assert r["v"] == pytest.approx(float(speed(cx, cy)), abs=2e-6)


def test_bad_flowline_inputs(run_alg, tmp_path):
    from qgis.core import QgsProcessingException
    prod = synthetic_product(tmp_path / "202006.tif", SYN_T, SYN_SHAPE, UTM7)
    points = write_geojson(tmp_path / "pts.geojson", 32607,
                           [{"type": "Point", "coordinates": [600000, 6730000]}])
    with pytest.raises(QgsProcessingException, match="FLOWLINES must be a line layer"):
        run_alg("glacvel:flowline_profile", {"INPUT": [prod], "FLOWLINES": points,
                                             "OUTPUT": "TEMPORARY_OUTPUT"})
    far = write_geojson(tmp_path / "far.geojson", 32607, [
        {"type": "LineString", "coordinates": [[700000, 6800000], [701000, 6801000]]}])
    out_csv = tmp_path / "never.csv"
    with pytest.raises(QgsProcessingException, match="none of the FLOWLINES crosses"):
        run_alg("glacvel:flowline_profile", {"INPUT": [prod], "FLOWLINES": far,
                                             "OUTPUT": "TEMPORARY_OUTPUT",
                                             "OUTPUT_CSV": str(out_csv)})
    assert not out_csv.exists()
    with pytest.raises(QgsProcessingException, match="one of the inputs"):
        run_alg("glacvel:flowline_profile", {"INPUT": [prod], "FLOWLINES": far,
                                             "OUTPUT": "TEMPORARY_OUTPUT", "OUTPUT_CSV": prod})
    # cancel: nothing written
    near = write_geojson(tmp_path / "near.geojson", 32607, [
        {"type": "LineString", "coordinates": [[600000, 6730000], [601000, 6730000]]}])
    # a product without UNITS is refused (m/d or m/yr: a factor 365), as in fusion
    no_units = synthetic_product(tmp_path / "202007.tif", SYN_T, SYN_SHAPE, UTM7, units="")
    with pytest.raises(QgsProcessingException, match="202007.tif has no UNITS tag"):
        run_alg("glacvel:flowline_profile", {"INPUT": [no_units], "FLOWLINES": near,
                                             "OUTPUT": "TEMPORARY_OUTPUT",
                                             "OUTPUT_CSV": str(out_csv)})
    assert not out_csv.exists()
    fb = RecordingFeedback()
    fb.cancel()
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg("glacvel:flowline_profile", {"INPUT": [prod], "FLOWLINES": near,
                                             "OUTPUT": "TEMPORARY_OUTPUT",
                                             "OUTPUT_CSV": str(out_csv)}, feedback=fb)
    assert not out_csv.exists()


# ---------------------------------------------------------------------------------------
# glacier_statistics


def test_kaskawulsh_glacier_statistics_real_data(run_alg, kaskawulsh_products):
    march, august = kaskawulsh_products
    outline = data_path("kaskawulsh_glaft_demo",
                          "glacier_V1_Kaskawulsh_s_inwardBuffer600m.shp")
    res = run_alg("glacvel:glacier_statistics", {"INPUT": [march, august],
                                                  "GLACIERS": outline,
                                                  "OUTPUT": "TEMPORARY_OUTPUT"})
    layer = res["OUTPUT"]
    assert layer.featureCount() == 1
    f = next(layer.getFeatures())
    assert f["RGIId"] == "RGI60-01.16201" and f["Name"] == "Kaskawulsh Glacier"
    assert f.geometry().area() > 1e8
    # read off the data: March mean 0.325, median 0.332, p95 0.752 m/d over 99 % of the
    # 60 m pixels; August 0.364 / 0.331 / 0.696 m/d with 83 % coverage at 120 m
    assert f["v201803_mean"] == pytest.approx(0.3248, abs=0.002)
    assert f["v201803_median"] == pytest.approx(0.3321, abs=0.002)
    assert f["v201803_p95"] == pytest.approx(0.7524, abs=0.003)
    assert f["v201803_count"] == 36592
    assert f["v201803_cover"] == pytest.approx(0.9915, abs=0.001)
    assert f["v201808_mean"] == pytest.approx(0.3643, abs=0.002)
    assert f["v201808_cover"] == pytest.approx(0.831, abs=0.002)
    # the two grids see the same outline area inside the rasters (pixels × pixel area)
    area60 = f["v201803_count"] / f["v201803_cover"] * 60 ** 2
    area120 = f["v201808_count"] / f["v201808_cover"] * 120 ** 2
    assert area60 == pytest.approx(area120, rel=0.01)
    assert f["v201803_median"] < f["v201803_p95"] < 1.0


def test_synthetic_glacier_statistics_exact_multipart_overlap_crs(run_alg, tmp_path):
    # speed depends on x only here: v = 0.5 + 2e-4 (x - X0); rows 40-59 are no data
    t = SYN_T
    prod = synthetic_product(tmp_path / "202006.tif", t, SYN_SHAPE, UTM7,
                             nan_box=(40, 60, 0, 200))

    def box(c0, r0, c1, r1):  # pixel-edge rectangle (cols c0..c1, rows r0..r1) in UTM
        x0, y0 = t * (c0, r0)
        x1, y1 = t * (c1, r1)
        return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    g1 = box(10, 20, 30, 60)          # 20 x 40 px, the lower half in the no-data rows
    g2a, g2b = box(100, 100, 110, 110), box(150, 150, 160, 170)    # multi-part: 100 + 200 px
    g3 = box(20, 20, 40, 40)          # overlaps g1
    g4 = box(400, 400, 410, 410)      # outside the raster
    polys = [{"type": "Polygon", "coordinates": [to_crs(g1, 32607, 4326)]},
             {"type": "MultiPolygon", "coordinates": [[to_crs(g2a, 32607, 4326)],
                                                      [to_crs(g2b, 32607, 4326)]]},
             {"type": "Polygon", "coordinates": [to_crs(g3, 32607, 4326)]},
             {"type": "Polygon", "coordinates": [to_crs(g4, 32607, 4326)]}]
    path = write_geojson(tmp_path / "glaciers.geojson", 4326, polys,
                         [{"rgi": f"G{i}"} for i in range(1, 5)])
    res = run_alg("glacvel:glacier_statistics", {"INPUT": [prod], "GLACIERS": path,
                                                  "OUTPUT": "TEMPORARY_OUTPUT"})
    layer = res["OUTPUT"]
    assert layer.crs().authid() == "EPSG:4326"
    got = {f["rgi"]: f for f in layer.getFeatures()}
    assert set(got) == {"G1", "G2", "G3", "G4"}

    # exact pixel-centre values of each zone (the field depends on x and y)
    def zone(c0, r0, c1, r1, nan_rows=()):
        jj, ii = np.meshgrid(np.arange(c0, c1) + 0.5, np.arange(r0, r1) + 0.5)
        x, y = t * (jj, ii)
        vals = speed(x, y).astype(np.float32).astype(np.float64)
        keep = ~np.isin(np.arange(r0, r1), nan_rows)
        return vals[keep].ravel(), vals.size
    z1, n1 = zone(10, 20, 30, 60, nan_rows=range(40, 60))
    za, na = zone(100, 100, 110, 110)
    zb, nb = zone(150, 150, 160, 170)
    z2, n2 = np.concatenate([za, zb]), na + nb
    z3, n3 = zone(20, 20, 40, 40)
    for key, z, n in (("G1", z1, n1), ("G2", z2, n2), ("G3", z3, n3)):
        f = got[key]
        assert f["v202006_count"] == z.size
        assert f["v202006_cover"] == pytest.approx(z.size / n, abs=1e-9)
        assert f["v202006_mean"] == pytest.approx(z.mean(), abs=1e-6)
        assert f["v202006_median"] == pytest.approx(np.median(z), abs=1e-6)
        assert f["v202006_p95"] == pytest.approx(np.percentile(z, 95), abs=1e-6)
    assert got["G1"]["v202006_cover"] == pytest.approx(0.5)
    assert got["G2"]["v202006_count"] == 300
    # outside the raster: count 0, statistics and coverage NULL (no pixel inside)
    f4 = got["G4"]
    assert f4["v202006_count"] == 0
    for k in ("mean", "median", "p95", "cover"):
        assert is_null(f4["v202006_" + k])


def test_bad_glacier_inputs(run_alg, tmp_path):
    from qgis.core import QgsProcessingException
    prod = synthetic_product(tmp_path / "202006.tif", SYN_T, SYN_SHAPE, UTM7)
    lines = data_path(TRUNK)
    with pytest.raises(QgsProcessingException, match="GLACIERS must be a polygon layer"):
        run_alg("glacvel:glacier_statistics", {"INPUT": [prod], "GLACIERS": lines,
                                               "OUTPUT": "TEMPORARY_OUTPUT"})
    far = write_geojson(tmp_path / "far.geojson", 32607, [
        {"type": "Polygon", "coordinates": [[[0, 0], [1000, 0], [1000, 1000], [0, 0]]]}])
    with pytest.raises(QgsProcessingException, match="no GLACIERS outline overlaps"):
        run_alg("glacvel:glacier_statistics", {"INPUT": [prod], "GLACIERS": far,
                                               "OUTPUT": "TEMPORARY_OUTPUT"})
