"""Builders shared by the tests and the benchmarks.

Import as ``from tests.helpers import …`` (the repository root is on ``sys.path`` for
pytest through pytest.ini, and benchmarks add it themselves). Test modules never import
each other (tests/unit/test_test_imports.py); what two of them need lives here, and
fixtures shared by several files live in the conftest.py beside them. Only
:func:`gnss_layer` and :func:`refused` need QGIS (imported when called).
"""
import csv
import datetime as dt
import glob
import hashlib
import os

import numpy as np
import rasterio

from glacvel_plugin.io.product import standard_tags, write_product
from tests.conftest import ROOT, YAHTSE_REF, carst_velocity, test_data

CARST_COMPONENTS = (("vx", "vx"), ("vy", "vy"), ("errx", "vx_error"), ("erry", "vy_error"))
"""CARST file component → glacvel band of the bedrock-corrected Kaskawulsh rasters."""


def carst_product(folder, stem, sensor, source, *, name=None, method="CARST bedrock-corrected",
                  units="m/d", scale=1.0):
    """A glacvel velocity product from the four CARST rasters of one pair.

    Parameters
    ----------
    folder : str or path
        Where the product is written (``name``, default ``<sensor>_<start>.tif``).
    stem : str
        The pair's CARST stem, e.g. ``LS8-061018_20180304-20180405`` (dates from it).
    sensor : str
        SENSOR tag (``L8``, ``S2``).
    source : callable or str
        ``source(stem, component) -> path`` (e.g. :func:`tests.conftest.carst_velocity`),
        or a folder holding ``<stem>_velo-corrected_<component>_SNT-GAU-RSO.tif``.
    method, units : METHOD and UNITS tags.
    scale : factor applied to vx, vy and the errors (e.g. 365.25 for an m/yr product).

    Returns
    -------
    str : the written product's path (bands v, vx, vy, vx_error, vy_error; -9999 → NaN).
    """
    if not callable(source):
        folder_in = str(source)

        def source(s, comp):
            return os.path.join(folder_in, f"{s}_velo-corrected_{comp}_SNT-GAU-RSO.tif")
    bands = {}
    for comp, key in CARST_COMPONENTS:
        with rasterio.open(source(stem, comp)) as ds:
            a = ds.read(1).astype(np.float32)
            a[a == ds.nodata] = np.nan
            transform, crs = ds.transform, ds.crs
        bands[key] = a * np.float32(scale)
    bands["v"] = np.hypot(bands["vx"], bands["vy"])
    d0, d1 = stem.split("_")[1].split("-")
    tags = standard_tags(sensor, dt.datetime.strptime(d0, "%Y%m%d"),
                         dt.datetime.strptime(d1, "%Y%m%d"), method, units=units)
    return write_product(os.path.join(str(folder), name or f"{sensor}_{d0}.tif"), bands,
                         transform, crs, tags)


def write_itslive_granule(path, vx, vy, transform, crs, pair_info, *, v_error=None,
                          errors=(None, None), y_ascending=False, with_dates=True,
                          components=("vx", "vy")):
    """Write an image-pair netCDF granule in the ITS_LIVE layout (autoRIFT's writer).

    The layout follows the ITS_LIVE documentation and autoRIFT's ``netcdf_output.py``
    (variable names, attributes, units, fill value, date format); it has not been
    compared with a real downloaded granule.

    Parameters
    ----------
    path : str
    vx, vy : float arrays (rows, cols), m/yr, north-up, NaN = no data. Stored as int16
        rounded to 1 m/yr with ``_FillValue`` -32767, ``units = "meter/year"``,
        ``grid_mapping = "mapping"`` (as ``vx``, ``vy``, ``v``; ``v_error`` if given).
    transform : affine.Affine of the pixel corners (north-up); ``x``/``y`` coordinate
        variables hold the pixel centres; ``mapping`` holds ``spatial_epsg``,
        ``crs_wkt``, ``spatial_ref`` and autoRIFT's centre-origin ``GeoTransform``.
    crs : rasterio CRS (EPSG code needed).
    pair_info : dict of ``img_pair_info`` attributes (strings or numbers).
    errors : scalar 1-σ of vx and vy (m/yr) as their ``error`` attributes, or None.
    y_ascending : store rows south to north (``y`` increasing) to test orientation.
    with_dates : False drops the acquisition_date attributes.
    components : the velocity variables written (drop one to build a bad file).

    Returns the int16 arrays as stored, north-up: dict name -> int16 (rows, cols).
    """
    from osgeo import gdal
    rows, cols = np.shape(vx)
    fill = -32767
    stored = {}
    speed = np.hypot(vx, vy)
    for name, a in (("vx", vx), ("vy", vy), ("v", speed), ("v_error", v_error)):
        if a is None:
            continue
        q = np.where(np.isfinite(a), np.round(np.clip(np.nan_to_num(a), -32768, 32767)), fill)
        stored[name] = q.astype(np.int16)
    xs = transform.c + transform.a * (np.arange(cols) + 0.5)
    ys = transform.f + transform.e * (np.arange(rows) + 0.5)
    order = slice(None, None, -1) if y_ascending else slice(None)
    drv = gdal.GetDriverByName("netCDF")
    ds = drv.CreateMultiDimensional(str(path), [], ["FORMAT=NC4"])
    root = ds.GetRootGroup()
    string = gdal.ExtendedDataType.CreateString()
    f64 = gdal.ExtendedDataType.Create(gdal.GDT_Float64)

    def attr(obj, key, value):
        if isinstance(value, str):
            obj.CreateAttribute(key, [], string).Write(value)
        else:
            obj.CreateAttribute(key, [], f64).Write(float(value))

    for key, value in (("Conventions", "CF-1.8"), ("title", "autoRIFT surface velocities"),
                       ("scene_pair_type", "optical"), ("motion_coordinates", "map"),
                       ("satellite", pair_info.get("_satellite", "Landsat 8"))):
        attr(root, key, value)
    ydim = root.CreateDimension("y", None, None, rows)
    xdim = root.CreateDimension("x", None, None, cols)
    for dim, values, std in ((xdim, xs, "projection_x_coordinate"),
                             (ydim, ys[order], "projection_y_coordinate")):
        var = root.CreateMDArray(dim.GetName(), [dim], f64)
        var.Write(values)
        attr(var, "standard_name", std)
        attr(var, "units", "m")
    # 0-d container variables (int8 in autoRIFT; GDAL 3.6 writes its smallest integer type)
    byte = gdal.ExtendedDataType.Create(gdal.GDT_Byte)
    mapping = root.CreateMDArray("mapping", [], byte)
    epsg = crs.to_epsg()
    wkt = crs.to_wkt(version="WKT1_GDAL")
    centre_gt = [xs[0], transform.a, 0.0, ys[0], 0.0, transform.e]
    for key, value in (("grid_mapping_name", "universal_transverse_mercator"),
                       ("spatial_epsg", epsg), ("crs_wkt", wkt), ("spatial_ref", wkt),
                       ("GeoTransform", " ".join(str(v) for v in centre_gt))):
        attr(mapping, key, value)
    info = root.CreateMDArray("img_pair_info", [], byte)
    attr(info, "standard_name", "image_pair_information")
    for key, value in pair_info.items():
        if key.startswith("_") or (not with_dates and key.startswith("acquisition_date")):
            continue
        attr(info, key, value)
    i16 = gdal.ExtendedDataType.Create(gdal.GDT_Int16)
    for name in [c for c in components] + [n for n in ("v", "v_error") if n in stored]:
        var = root.CreateMDArray(name, [ydim, xdim], i16, ["COMPRESS=DEFLATE"])
        var.SetNoDataValueDouble(fill)
        attr(var, "units", "meter/year")
        attr(var, "grid_mapping", "mapping")
        comp_err = dict(zip(("vx", "vy"), errors)).get(name)
        if comp_err is not None:
            attr(var, "error", comp_err)
        var.Write(np.ascontiguousarray(stored[name][order]))
    del ds
    return stored


# ------------------------------------------------------------------ Yahtse texture, known shifts
YAHTSE_DEMO = os.path.join(ROOT, "demo", "data", "yahtse")
DEMO_YAHTSE_REF = os.path.join(YAHTSE_DEMO, "LC80630182016200LGN00_B8_yahtse_crop.TIF")
DEMO_YAHTSE_SEC = os.path.join(YAHTSE_DEMO, "LC80630182016216LGN00_B8_yahtse_crop.TIF")
"""The Yahtse Landsat-8 B8 demo crops (837 × 850 px, 15 m), 2016-07-18 and 2016-08-03."""
FRONT_BOX = (slice(310, 750), slice(330, 730))
"""Demo-crop rows/cols around the calving front (the fastest, most strongly sheared ice,
up to 21 px in 16 days, and the mélange beside it)."""


def read_band(path):
    """Band 1 of a raster as float64 (rows, cols)."""
    with rasterio.open(path) as ds:
        return ds.read(1).astype(np.float64)


def yahtse_crop(row, col, h, w, image=YAHTSE_REF):
    """float64 (h, w) crop from (row, col) of a tests/data Yahtse B8 image (YAHTSE_REF or
    YAHTSE_SEC of tests/conftest.py)."""
    from rasterio.windows import Window
    with rasterio.open(test_data(*image)) as ds:
        return ds.read(1, window=Window(col, row, w, h)).astype(np.float64)


def glacier_field(h, w, amplitude, width):
    """Glacier-like displacement (px) on an h × w image: fast centre column, slow
    margins (Gaussian of ``width`` px across), flowing down the rows (south) and a
    little west (towards SSW). Returns callables u_r(r, c), u_c(r, c)."""
    xc = w / 2.0

    def u_r(r, c):
        return amplitude * np.exp(-((c - xc) / width) ** 2) * (0.9 + 0.1 * np.cos(np.pi * r / h))

    def u_c(r, c):
        return -0.3 * u_r(r, c)
    return u_r, u_c


def _sym(a):
    e = np.concatenate([a, a[::-1]], 0)
    return np.concatenate([e, e[:, ::-1]], 1)


def fourier_shift(a, dy, dx):
    """a moved by (+dy, +dx) px: content at q appears at q + d."""
    e = _sym(a)
    fy = np.fft.fftfreq(e.shape[0])[:, None]
    fx = np.fft.fftfreq(e.shape[1])[None, :]
    out = np.real(np.fft.ifft2(np.fft.fft2(e) * np.exp(-2j * np.pi * (fy * dy + fx * dx))))
    return out[:a.shape[0], :a.shape[1]]


def fourier_upsample(a, k):
    """a up-sampled k× by zero-padding its (symmetrically extended) spectrum."""
    e = _sym(a)
    H, W = e.shape
    F = np.fft.fftshift(np.fft.fft2(e))
    P = np.zeros((H * k, W * k), complex)
    P[(H * k - H) // 2:(H * k - H) // 2 + H, (W * k - W) // 2:(W * k - W) // 2 + W] = F
    up = np.real(np.fft.ifft2(np.fft.ifftshift(P))) * k * k
    return up[:a.shape[0] * k, :a.shape[1] * k]


def warp(a, u_r, u_c, k=4):
    """Secondary image for a displacement field (u_r, u_c)(q) given in the reference frame.

    The feature at q moves to p = q + u(q); the secondary at p is the reference at q(p),
    found by fixed-point iteration q ← p − u(q), sampled on the k× Fourier-upsampled
    reference with cubic splines.
    """
    from scipy import ndimage
    up = fourier_upsample(a, k)
    h, w = a.shape
    pr, pc = np.mgrid[0:h, 0:w].astype(np.float64)
    qr, qc = pr.copy(), pc.copy()
    for _ in range(30):
        qr = pr - u_r(qr, qc)
        qc = pc - u_c(qr, qc)
    # zero-padded DFT samples: up-sampled sample i lies at original coordinate i / k
    return ndimage.map_coordinates(up, [qr * k, qc * k], order=3, mode="mirror")


# ------------------------------------------------------------ Kaskawulsh CARST velocity products
KASK_DEMO = os.path.join(ROOT, "demo", "data", "kaskawulsh")
"""GLAFT's CARST Kaskawulsh inputs shipped with the demo (velocities, bedrock, GPS)."""
KASK_L8_STEM = "LS8-061018_20180304-20180405"
KASK_S2_STEM = "Sen2-Orb14_20180304-20180314"
KASK_L8_FILE = KASK_L8_STEM + "_velo-corrected_{}_SNT-GAU-RSO.tif"
KASK_S2_FILE = KASK_S2_STEM + "_velo-corrected_{}_SNT-GAU-RSO.tif"
"""CARST file names of the March Landsat-8 and Sentinel-2 pairs; ``.format(component)``."""
KASK_BEDROCK = [f"bedrock_V1.{e}" for e in ("shp", "shx", "dbf", "prj", "cpg", "qpj")]
"""The files of the demo's stable-ground (bedrock) shapefile."""
KASK_MULTISENSOR = "kaskawulsh_multisensor"
"""tests/data folder of the August Landsat-8 / May Sentinel-2 pairs and the GNSS CSVs."""


def kaskawulsh_product(path, crop=(100, 200, 150, 300), nmad=None, sensor="L8",
                       start=dt.datetime(2018, 3, 4, 20, 30), end=dt.datetime(2018, 4, 5, 20, 30),
                       with_error=True):
    """A glacvel product from the real CARST Kaskawulsh Landsat-8 vx/vy/errx/erry (m/d).

    ``crop`` = (row0, row1, col0, col1), or None for the whole 305 × 472 grid (120 m);
    ``nmad`` = (vx, vy) stable-ground NMAD tags (m/d) as ``glacvel:stable_ground_error``
    writes them. Bands v, vx, vy, dx, dy, quality and, ``with_error``, v_error =
    √((σx·vx)² + (σy·vy)²)/|v| (ITS_LIVE). Returns (path, bands dict).
    """
    from rasterio.windows import Window
    bands = {}
    for b in ("vx", "vy", "errx", "erry"):
        with rasterio.open(os.path.join(KASK_DEMO, KASK_L8_FILE.format(b))) as ds:
            win = Window(crop[2], crop[0], crop[3] - crop[2], crop[1] - crop[0]) if crop else None
            a = ds.read(1, window=win).astype(np.float32)
            a[a == ds.nodata] = np.nan
            bands[b] = a
            transform = ds.window_transform(win) if win else ds.transform
            crs = ds.crs
    vx, vy = bands["vx"], bands["vy"]
    v = np.hypot(vx, vy)
    dt_days = (end - start).total_seconds() / 86400.0
    out = {"v": v, "vx": vx, "vy": vy, "dx": vx * dt_days, "dy": vy * dt_days,
           "quality": np.where(np.isfinite(v), 1.0, np.nan).astype(np.float32)}
    if with_error:
        with np.errstate(invalid="ignore", divide="ignore"):
            out["v_error"] = (np.sqrt((bands["errx"] * vx) ** 2 + (bands["erry"] * vy) ** 2)
                              / v).astype(np.float32)
    extra = {}
    if nmad is not None:
        extra = {"SE_NMAD_VX": f"{nmad[0]:.6g}", "SE_NMAD_VY": f"{nmad[1]:.6g}"}
    tags = standard_tags(sensor, start, end, "CARST (GLAFT demo)", **extra)
    write_product(str(path), out, transform, crs, tags)
    return str(path), out


def make_product(path, crop=None, with_error=True):
    """The whole (or ``crop`` of the) Kaskawulsh Landsat-8 March product, see
    :func:`kaskawulsh_product`. Returns (path, v array)."""
    path, bands = kaskawulsh_product(path, crop, with_error=with_error)
    return path, bands["v"]


def glaft_product(folder, stem, sensor, units="m/d", scale=1.0, name=None):
    """:func:`carst_product` of a Kaskawulsh pair found by ``carst_velocity``, named
    ``<sensor>_<start>_<end>.tif`` unless ``name``, METHOD "CARST bedrock-corrected (GLAFT demo)"."""
    d0, d1 = stem.split("_")[1].split("-")
    return carst_product(folder, stem, sensor, carst_velocity, units=units, scale=scale,
                         name=name or f"{sensor}_{d0}_{d1}.tif",
                         method="CARST bedrock-corrected (GLAFT demo)")


# ------------------------------------------------------------------------------ GNSS stations
def gnss_positions():
    """{station: {date: (easting, northing)}} from every gps/*_GPS CSV (UTM 7N) of
    tests/data/kaskawulsh_multisensor."""
    pos = {}
    for p in sorted(glob.glob(os.path.join(test_data(KASK_MULTISENSOR, "gps"), "*_GPS"))):
        with open(p, newline="") as f:
            for row in csv.DictReader(f):
                st = int(row[""])
                for date, e, n in ((row["date1"], row["start_easting"], row["start_northing"]),
                                   (row["date2"], row["end_easting"], row["end_northing"])):
                    if e and n:
                        pos.setdefault(st, {})[dt.date.fromisoformat(date)] = (float(e), float(n))
    return pos


def gnss_velocity(t0, t1):
    """{station: (x_mid, y_mid, vx, vy, a, b)} over the longest interval inside [t0, t1]."""
    out = {}
    for st, series in gnss_positions().items():
        dates = sorted(d for d in series if t0 <= d <= t1)
        if len(dates) < 2:
            continue
        a, b = dates[0], dates[-1]
        (xa, ya), (xb, yb) = series[a], series[b]
        days = (b - a).days
        out[st] = ((xa + xb) / 2, (ya + yb) / 2, (xb - xa) / days, (yb - ya) / days, a, b)
    return out


def gnss_layer(stations, t0=dt.date(2018, 3, 4), t1=dt.date(2018, 4, 5), positions=False):
    """A memory point layer (EPSG:32607) of GNSS stations with vx, vy (m/d), or with
    start/end positions and dates when ``positions`` (needs a running QGIS)."""
    from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsPointXY, QgsVectorLayer
    from qgis.PyQt.QtCore import QVariant
    vel = gnss_velocity(t0, t1)
    lyr = QgsVectorLayer("Point?crs=EPSG:32607", "gnss", "memory")
    fields = [QgsField("station", QVariant.String)]
    if positions:
        fields += [QgsField(n, QVariant.Double) for n in ("start_x", "start_y", "end_x", "end_y")]
        fields += [QgsField("start_date", QVariant.Date), QgsField("end_date", QVariant.Date)]
    else:
        fields += [QgsField("vx", QVariant.Double), QgsField("vy", QVariant.Double)]
    lyr.dataProvider().addAttributes(fields)
    lyr.updateFields()
    series = gnss_positions()
    feats = []
    for st in stations:
        x, y, vx, vy, a, b = vel[st]
        f = QgsFeature(lyr.fields())
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x, y)))
        if positions:
            (xa, ya), (xb, yb) = series[st][a], series[st][b]
            f.setAttributes([f"GNSS{st}", xa, ya, xb, yb, a.isoformat(), b.isoformat()])
        else:
            f.setAttributes([f"GNSS{st}", vx, vy])
        feats.append(f)
    lyr.dataProvider().addFeatures(feats)
    assert lyr.featureCount() == len(stations)
    return lyr


# ---------------------------------------------------------------------- refused runs, no change
def snapshot(folder):
    """{relative path: sha256} of every file under ``folder`` (hidden ones included)."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            out[os.path.relpath(os.path.join(root, d), folder) + "/"] = "dir"
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, folder)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def refused(run_alg, alg, params, match, folders, feedback=None):
    """Run ``alg`` expecting a refusal matching ``match``; no file in ``folders`` changes."""
    import pytest
    from qgis.core import QgsProcessingException
    before = {f: snapshot(f) for f in folders}
    with pytest.raises(QgsProcessingException, match=match) as err:
        run_alg(alg, params, feedback=feedback)
    for f in folders:
        assert snapshot(f) == before[f], f"{f} changed after a refused run"
    return str(err.value)
