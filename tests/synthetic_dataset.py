"""A synthetic year of Landsat-8 scenes built from real texture, with a known velocity field.

The texture is a 200 × 200 px (3 km) crop of the real Landsat-8 B8 scene of Yahtse Glacier
shipped in ``demo/data/yahtse`` (2016-07-18; rock massif east of the tongue and the
surrounding ice). Each scene k, acquired at t_k, is that texture advected by a known
velocity field u for t_k − t0 (backward mapping, cubic splines) and shifted by a known
sub-pixel mis-registration s_k (as between real scenes), written as
``LC08_L1TP_063018_<date>_<date+14>_02_T1_B8.TIF`` (uint16, EPSG:32607, the crop's real
grid) with a Collection-2-style MTL file giving DATE_ACQUIRED, SCENE_CENTER_TIME,
CLOUD_COVER, WRS_PATH/ROW.

The field: zero on the ``east_mountain`` stable-ground polygon of
``demo/data/yahtse/stable_ground.geojson`` and beyond it, after a 15 px taper, a smooth
flow (vx 0.45 → 0.75 m/d from west to east, vy −0.30 m/d).
"""
from __future__ import annotations

import datetime as _dt
import json
import os

import numpy as np
import rasterio
from rasterio.windows import Window
from scipy import ndimage

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
YAHTSE = os.path.join(ROOT, "demo", "data", "yahtse")
BASE = os.path.join(YAHTSE, "LC80630182016200LGN00_B8_yahtse_crop.TIF")
ROW0, COL0, SIZE = 470, 540, 200
PIXEL = 15.0
YEAR = 2023


def _stable_polygon():
    with open(os.path.join(YAHTSE, "stable_ground.geojson"), encoding="utf-8") as f:
        data = json.load(f)
    feat = next(f for f in data["features"] if f["properties"]["name"] == "east_mountain")
    return data, feat


def stable_geojson(path: str) -> str:
    """Write the east_mountain stable-ground polygon (EPSG:32607) to ``path``."""
    data, feat = _stable_polygon()
    out = {"type": "FeatureCollection", "crs": data["crs"], "features": [feat]}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f)
    return path


def velocity_field(transform, shape):
    """(vx, vy) float64 (rows, cols) m/d on the crop grid; zero on the stable polygon."""
    from rasterio.features import geometry_mask
    _, feat = _stable_polygon()
    stable = geometry_mask([feat["geometry"]], out_shape=shape, transform=transform, invert=True)
    taper = np.clip(ndimage.distance_transform_edt(~stable) / 15.0, 0.0, 1.0)
    cols = np.arange(shape[1])[None, :] / float(shape[1])
    vx = taper * (0.45 + 0.30 * cols)
    vy = taper * (-0.30 * np.ones(shape))
    return vx, vy


def scene_times():
    """Acquisition times: the 15th of every month at 20:37:06 (Landsat-8's local pass)."""
    return [_dt.datetime(YEAR, m, 15, 20, 37, 6) for m in range(1, 13)]


SHIFTS = [(0.0, 0.0), (0.21, -0.13), (-0.17, 0.08), (0.12, 0.19), (-0.08, -0.22), (0.25, 0.05),
          (-0.2, -0.1), (0.05, 0.24), (0.18, -0.18), (-0.11, 0.13), (0.09, -0.06), (-0.23, 0.17)]
"""Mis-registration (column, row) in px of each scene (of :func:`scene_times`)."""


def product_id(t: _dt.datetime, path_row: str = "063018") -> str:
    """Landsat-8 Collection-2 product id of a scene at ``t`` (WRS ``path_row``, PPPRRR)."""
    proc = t + _dt.timedelta(days=14)
    return f"LC08_L1TP_{path_row}_{t:%Y%m%d}_{proc:%Y%m%d}_02_T1"


def write_mtl(folder: str, t: _dt.datetime, cloud: float = 5.0, path_row: str = "063018") -> str:
    pid = product_id(t, path_row)
    text = (f'GROUP = LANDSAT_METADATA_FILE\n  GROUP = PRODUCT_CONTENTS\n'
            f'    LANDSAT_PRODUCT_ID = "{pid}"\n  END_GROUP = PRODUCT_CONTENTS\n'
            f'  GROUP = IMAGE_ATTRIBUTES\n    SPACECRAFT_ID = "LANDSAT_8"\n'
            f'    SENSOR_ID = "OLI_TIRS"\n    WRS_PATH = {int(path_row[:3])}\n'
            f'    WRS_ROW = {int(path_row[3:])}\n'
            f'    DATE_ACQUIRED = {t:%Y-%m-%d}\n    SCENE_CENTER_TIME = "{t:%H:%M:%S}.1234560Z"\n'
            f'    CLOUD_COVER = {cloud:.2f}\n  END_GROUP = IMAGE_ATTRIBUTES\n'
            'END_GROUP = LANDSAT_METADATA_FILE\nEND\n')
    path = os.path.join(folder, pid + "_MTL.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def _base():
    with rasterio.open(BASE) as ds:
        a = ds.read(1, window=Window(COL0, ROW0, SIZE, SIZE)).astype(np.float64)
        transform = ds.window_transform(Window(COL0, ROW0, SIZE, SIZE))
        crs = ds.crs
    return a, transform, crs


def _write(path, data, transform, crs, tiled=True):
    profile = dict(driver="GTiff", width=SIZE, height=SIZE, count=1, dtype="uint16",
                   crs=crs, transform=transform)
    if tiled:
        profile.update(tiled=True, blockxsize=128, blockysize=128, compress="deflate")
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(np.clip(np.round(data), 1, 65535).astype(np.uint16), 1)


def make_scene(folder, base, transform, crs, t, t0, shift, field, cloud=5.0, tiled=True,
               path_row="063018"):
    vx, vy = field
    days = (t - t0).total_seconds() / 86400.0
    rr, cc = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    # content at (r, c) came from upstream: x − u·Δt (y north-positive → rows + vy·Δt)
    src_c = cc - vx * days / PIXEL - shift[0]
    src_r = rr + vy * days / PIXEL - shift[1]
    img = ndimage.map_coordinates(base, [src_r, src_c], order=3, mode="reflect")
    path = os.path.join(folder, product_id(t, path_row) + "_B8.TIF")
    _write(path, img, transform, crs, tiled)
    write_mtl(folder, t, cloud, path_row)
    return path


def make_year(folder: str, corrupt: bool = True, cloudy: bool = True) -> dict:
    """Write the synthetic year into ``folder``; returns a description.

    12 monthly scenes (the 15th, 20:37:06 UTC); with ``cloudy`` a 13th scene on 2023-06-25
    with 85 % cloud cover; with ``corrupt`` a scene on 2023-03-28 whose file is cut in
    half (its header and first rows read, the rest does not: its pair fails) and an
    unreadable file named as a 2023-08-25 scene.
    """
    os.makedirs(folder, exist_ok=True)
    base, transform, crs = _base()
    field = velocity_field(transform, (SIZE, SIZE))
    times = scene_times()
    t0 = times[0]
    paths = [make_scene(folder, base, transform, crs, t, t0, s, field)
             for t, s in zip(times, SHIFTS)]
    out = {"scenes": paths, "times": times, "transform": transform, "crs": crs,
           "field": field, "t0": t0}
    if cloudy:
        t = _dt.datetime(YEAR, 6, 25, 20, 37, 6)
        out["cloudy"] = make_scene(folder, base, transform, crs, t, t0, (0.0, 0.0), field,
                                   cloud=85.0)
    if corrupt:
        t = _dt.datetime(YEAR, 3, 28, 20, 37, 6)
        p = make_scene(folder, base, transform, crs, t, t0, (0.0, 0.0), field, tiled=False)
        size = os.path.getsize(p)
        with open(p, "r+b") as f:
            f.truncate(size // 2)
        out["truncated"] = p
        t = _dt.datetime(YEAR, 8, 25, 20, 37, 6)
        bad = os.path.join(folder, product_id(t) + "_B8.TIF")
        with open(bad, "wb") as f:
            f.write(b"this is not a GeoTIFF\n" * 10)
        write_mtl(folder, t)
        out["unreadable"] = bad
    return out


def truth_on(grid_transform, shape, desc):
    """True (vx, vy) m/d at the cell centres of a grid (EPSG:32607) from the field."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    xs, ys = grid_transform * (cols + 0.5, rows + 0.5)
    inv = ~desc["transform"]
    c, r = inv * (xs, ys)
    vx, vy = desc["field"]
    inside = (c >= 0) & (c <= SIZE - 1) & (r >= 0) & (r <= SIZE - 1)
    tx = ndimage.map_coordinates(vx, [r - 0.5, c - 0.5], order=1, mode="nearest")
    ty = ndimage.map_coordinates(vy, [r - 0.5, c - 0.5], order=1, mode="nearest")
    tx[~inside] = np.nan
    ty[~inside] = np.nan
    return tx, ty


S2_TILE = "07VFH"


def s2_times():
    """Sentinel-2 acquisition times: the 5th of every month at 20:47:19."""
    return [_dt.datetime(YEAR, m, 5, 20, 47, 19) for m in range(1, 13)]


def make_s2_year(folder: str, noise: float = 0.3, seed: int = 7) -> dict:
    """A noisier second source: 12 monthly scenes named as Sentinel-2 granule band files
    (``T07VFH_<time>_B08.TIF``) on the same 15 m crop and the same field, with the
    mis-registrations of :data:`SHIFTS` reversed and white noise of ``noise`` × the
    texture's standard deviation added to every scene (their pairs are the worse source)."""
    os.makedirs(folder, exist_ok=True)
    base, transform, crs = _base()
    field = velocity_field(transform, (SIZE, SIZE))
    t0 = scene_times()[0]
    rng = np.random.default_rng(seed)
    sigma = noise * float(base.std())
    paths = []
    for t, shift in zip(s2_times(), SHIFTS[::-1]):
        vx, vy = field
        days = (t - t0).total_seconds() / 86400.0
        rr, cc = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
        img = ndimage.map_coordinates(base, [rr + vy * days / PIXEL - shift[1],
                                             cc - vx * days / PIXEL - shift[0]],
                                      order=3, mode="reflect")
        img = img + rng.normal(0.0, sigma, img.shape)
        path = os.path.join(folder, f"T{S2_TILE}_{t:%Y%m%dT%H%M%S}_B08.TIF")
        _write(path, img, transform, crs)
        paths.append(path)
    return {"scenes": paths, "times": s2_times(), "noise_dn": sigma}


def truth_product(path: str, desc: dict, start: _dt.datetime, end: _dt.datetime,
                  sensor: str = "UAV") -> str:
    """The known field as a glacvel velocity product (v, vx, vy in m/d on the crop's 15 m
    grid, SENSOR ``sensor``, period ``start``–``end``): a reference raster such as a UAV
    survey would give."""
    from glacvel_plugin.io.product import standard_tags, write_product
    vx, vy = (a.astype(np.float32) for a in desc["field"])
    return write_product(path, {"v": np.hypot(vx, vy), "vx": vx, "vy": vy},
                         desc["transform"], desc["crs"],
                         standard_tags(sensor, start, end, "known field"))


REFERENCE_SQUARES = ([(r, c) for r in (70, 150) for c in (66, 130)] +
                     [(20, c) for c in (40, 95, 150)])
"""(row, col) crop pixels of the 12 × 12 px (180 m) reference polygons: four inside the
rock massif (speed 0, ≥ 18 px from its edge) and three on the northern ice band, which
the correlation windows see together with the rock/ice edge."""


def reference_polygons(desc: dict, size: int = 12) -> list:
    """The reference polygons (GeoJSON geometries, EPSG:32607) of :data:`REFERENCE_SQUARES`."""
    T = desc["transform"]
    out = []
    for r, c in REFERENCE_SQUARES:
        pts = [T * (c, r), T * (c + size, r), T * (c + size, r + size), T * (c, r + size),
               T * (c, r)]
        out.append({"type": "Polygon", "coordinates": [[list(map(float, p)) for p in pts]]})
    return out


def reference_polygons_geojson(path: str, desc: dict) -> str:
    """:func:`reference_polygons` as a GeoJSON file (features with an ``id``)."""
    data, _ = _stable_polygon()
    feats = [{"type": "Feature", "properties": {"id": i + 1}, "geometry": g}
             for i, g in enumerate(reference_polygons(desc))]
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "crs": data["crs"], "features": feats}, f)
    return path


def reference_rasters(folder: str, desc: dict, months=range(1, 13)) -> list:
    """One known-field raster per month (a UAV survey from the 2nd to the day before the
    month's last), ``uav_YYYYMM.tif``; returns the paths."""
    os.makedirs(folder, exist_ok=True)
    out = []
    for m in months:
        start = _dt.datetime(YEAR, m, 2)
        end = (_dt.datetime(YEAR + (m == 12), m % 12 + 1, 1) - _dt.timedelta(days=2))
        out.append(truth_product(os.path.join(folder, f"uav_{YEAR}{m:02d}.tif"), desc,
                                 start, end))
    return out
