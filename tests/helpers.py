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
