"""Builders shared by the tests and the benchmarks (no QGIS).

Import as ``from tests.helpers import …`` (the repository root is on ``sys.path`` for
pytest through pytest.ini, and benchmarks add it themselves).
"""
import datetime as dt
import os

import numpy as np
import rasterio

from glacvel_plugin.io.product import standard_tags, write_product

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
