"""ITS_LIVE image-pair velocity granules (autoRIFT netCDF) read into glacvel's units.

Layout read here (as documented by the ITS_LIVE project and written by autoRIFT's
``netcdf_output.py``; no real granule was available when this reader was written, so
it has been checked only against granules built in that layout, see
``tests/qgis/test_import_itslive.py``):

* 2-D variables on dimensions ``(y, x)``: ``vx``, ``vy`` (map-east and map-north
  components), ``v`` (speed) and ``v_error`` (1-σ error of the speed), int16 in
  ``meter/year`` with ``_FillValue`` -32767, each with ``grid_mapping = "mapping"``.
  Some granules carry per-pixel ``vx_error``/``vy_error`` variables; autoRIFT's own
  writer gives one 1-σ value per component as the ``error`` attribute of ``vx`` and
  ``vy`` instead.
* 1-D coordinate variables ``x``, ``y``: pixel-centre map coordinates in metres
  (``y`` decreasing, north-up). The ``mapping`` variable carries ``spatial_epsg``,
  ``crs_wkt``/``spatial_ref`` and a ``GeoTransform`` string; autoRIFT writes that
  string with the centre of the first pixel as origin, so the grid is taken from the
  coordinate variables (as GDAL's netCDF driver does), not from that string.
* The scalar variable ``img_pair_info`` carries the pair's attributes:
  ``acquisition_date_img1``/``acquisition_date_img2`` (``YYYYMMDDTHH:MM:SS.ffff``
  UTC, some older granules named them ``acquisition_img1``/``acquisition_img2``),
  ``date_center``, ``date_dt`` (days), ``mission_img1`` (``L``, ``S``),
  ``satellite_img1`` (``8``, ``2A``, ``1B``), ...

The rasters are read through GDAL's netCDF driver with rasterio (``NETCDF:"file":vx``:
georeferencing, fill values, scale/offset and north-up orientation are GDAL's); the
attributes of ``img_pair_info`` are read with GDAL's multidimensional API, because the
classic raster view does not list the attributes of unrelated scalar variables.

References
----------
Gardner, A. S., Fahnestock, M. A., Scambos, T. A., 2019 [updated]. MEaSUREs ITS_LIVE
Landsat Image-Pair Glacier and Ice Sheet Surface Velocities: Version 1. NSIDC.
https://doi.org/10.5067/IMR9D3PEI28U

Lei, Y., Gardner, A., Agram, P., 2021. Autonomous Repeat Image Feature Tracking
(autoRIFT) and its application for tracking ice displacement. Remote Sensing 13(4), 749.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

import numpy as np
import rasterio
from rasterio.crs import CRS

from ..core import check_canceled
from .grid import units_factor

COMPONENTS = ("vx", "vy")
"""Variables a granule must have."""

OPTIONAL = ("v", "v_error", "vx_error", "vy_error")
"""Variables read when present."""

_NETCDF_URI = re.compile(r'^NETCDF:"?(?P<path>.+?)"?:(?P<var>[A-Za-z_][\w]*)$')

_MISSIONS = {"L": "L", "S": "S", "N": "NISAR"}


def is_netcdf(source: str) -> bool:
    """True when ``source`` is a netCDF file or a GDAL ``NETCDF:"file":var`` URI.

    Decided from the name only (the file is not opened).

    Parameters
    ----------
    source : str
        A path, a QGIS layer source (``path|layername=...``: the part before ``|`` is
        looked at) or a GDAL ``NETCDF:"file":var`` URI.

    Returns
    -------
    bool
        True for a ``NETCDF:`` URI or a name ending in ``.nc``, ``.nc4`` or ``.cdf``
        (any case); False for anything else, including an empty string or None.
    """
    if not source:
        return False
    if _NETCDF_URI.match(source):
        return True
    return os.path.splitext(source.split("|")[0])[1].lower() in (".nc", ".nc4", ".cdf")


def granule_file(source: str) -> str:
    """The file behind a granule path or a ``NETCDF:"file":var`` URI (QGIS layer source).

    Parameters
    ----------
    source : str
        A path, a QGIS layer source (``path|...``) or a GDAL ``NETCDF:"file":var`` URI
        (quotes around the file optional).

    Returns
    -------
    str
        The file path of the URI, or ``source`` up to its first ``|``. Not checked to
        exist.
    """
    m = _NETCDF_URI.match(source)
    if m:
        return m.group("path")
    return source.split("|")[0]


def parse_itslive_time(text: str) -> _dt.datetime:
    """A naive UTC datetime from an ITS_LIVE time attribute.

    Accepts ``20180304T18:57:05.4212`` (autoRIFT, trailing zeros stripped, possibly a
    bare ``.``), ``20180304``, ``2018-03-04T18:57:05(.f)(Z)``; a space may replace the
    ``T``. No time zone conversion: the attributes are UTC.

    Parameters
    ----------
    text : str or object
        The attribute value (converted with ``str``; surrounding blanks and a trailing
        ``Z`` ignored).

    Returns
    -------
    datetime.datetime
        Naive UTC; 00:00:00 for a bare date; fractions of a second kept to the
        microsecond (further digits truncated).

    Raises
    ------
    ValueError
        ``text`` is not in one of these forms, or names an impossible date or time
        (e.g. month 13).

    References
    ----------
    Lei, Y., Gardner, A., Agram, P., 2021. Autonomous Repeat Image Feature Tracking
    (autoRIFT) and its application for tracking ice displacement. Remote Sensing 13(4),
    749 (``acquisition_date_img1/2`` attributes of the granules).
    """
    s = str(text).strip().rstrip("Z")
    m = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2}):?(\d{2})(?:\.(\d*))?)?", s)
    if not m:
        raise ValueError(f"{text!r} is not a date")
    y, mo, d, hh, mm, ss, frac = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0")) if frac else 0
    return _dt.datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0),
                        micro)


def sensor_code(pair_info: Dict[str, object], global_attrs: Dict[str, object]) -> Tuple[str, str]:
    """``(code, satellite)``: glacvel's source code (``L8``, ``S2``, ``S1``, ``L8+L9``)
    and the satellite as the granule names it (``Landsat 8``, ``Sentinel-2A``).

    From ``mission_img1/2`` + ``satellite_img1/2`` of ``img_pair_info``; else from the
    global ``satellite`` attribute; else ``("ITS_LIVE", "")``.

    Parameters
    ----------
    pair_info : dict
        Attributes of the granule's ``img_pair_info`` variable. For image ``i`` (1, 2)
        having both ``mission_img{i}`` (first letter ``L`` Landsat, ``S`` Sentinel,
        ``N`` NISAR; any other mission is kept as given) and ``satellite_img{i}``
        (leading digits kept: ``8``, ``2A`` → ``2``), the code is mission + number.
    global_attrs : dict
        Global attributes of the granule; its ``satellite`` attribute (e.g.
        ``Landsat 8``, ``Sentinel-2``) is used when ``pair_info`` gives no code.

    Returns
    -------
    tuple of (str, str)
        The code (distinct codes of the two images joined by ``+`` in image order, e.g.
        ``L8+L9``; ``ITS_LIVE`` when nothing is known) and the satellite: the global
        ``satellite`` attribute when present, else the codes joined by `` / ``, else
        an empty string.
    """
    codes = []
    for i in (1, 2):
        mission = str(pair_info.get(f"mission_img{i}", "")).strip()
        sat = str(pair_info.get(f"satellite_img{i}", "")).strip()
        if mission and sat:
            digits = re.match(r"\d+", sat)
            number = digits.group(0) if digits else sat
            codes.append(_MISSIONS.get(mission[0].upper(), mission) + number)
    satellite = str(global_attrs.get("satellite", "")).strip()
    if not codes and satellite:
        for name, prefix in (("landsat", "L"), ("sentinel", "S")):
            m = re.search(name + r"[\s-]*(\d+)", satellite.lower())
            if m:
                codes.append(prefix + m.group(1))
    if not codes:
        return "ITS_LIVE", satellite
    unique = list(dict.fromkeys(codes))
    return "+".join(unique), satellite or " / ".join(unique)


@dataclass
class ItsLiveGranule:
    """One ITS_LIVE image-pair granule on its own grid, in glacvel's units.

    Built by :func:`read_itslive_granule`; the fields are also the constructor's
    parameters.

    Attributes
    ----------
    path : str
        The netCDF file.
    bands : dict of str to numpy.ndarray
        Name → float32 (rows, cols) in m/d, NaN where the granule has its fill value:
        ``vx`` (map-east), ``vy`` (map-north) always; ``v``, ``v_error``, ``vx_error``,
        ``vy_error`` when the granule has them (``vx_error``/``vy_error`` from per-pixel
        variables or from the ``error`` attributes of ``vx``/``vy``, constant over
        pixels where both ``vx`` and ``vy`` are valid). All bands share one grid.
    transform : affine.Affine
        Pixel-corner transform, north-up, not rotated.
    crs : rasterio.crs.CRS
        Projected CRS of the granule (UTM or polar stereographic, metres).
    start, end : datetime.datetime or None
        Naive UTC times of the earlier and later image; None when the granule does not
        give them.
    sensor : str
        glacvel source code (``L8``, ``S2``, ``S1``, ``L8+L9``, ``ITS_LIVE``), see
        :func:`sensor_code`.
    satellite : str
        The granule's own satellite name (may be empty).
    pair_info : dict, optional
        Attributes of ``img_pair_info`` (name → value).
    attrs : dict, optional
        Global attributes.
    notes : list of str, optional
        What was read from where, for the processing log.
    name : str
        Base name of ``path`` (read-only property).

    References
    ----------
    Gardner, A. S., Fahnestock, M. A., Scambos, T. A., 2019 [updated]. MEaSUREs ITS_LIVE
    Landsat Image-Pair Glacier and Ice Sheet Surface Velocities: Version 1. NSIDC.
    https://doi.org/10.5067/IMR9D3PEI28U
    """
    path: str
    bands: Dict[str, np.ndarray]
    transform: object
    crs: object
    start: Optional[_dt.datetime]
    end: Optional[_dt.datetime]
    sensor: str
    satellite: str
    pair_info: Dict[str, object] = field(default_factory=dict)
    attrs: Dict[str, object] = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


def _attributes(obj) -> Dict[str, object]:
    out = {}
    for a in obj.GetAttributes() or []:
        try:
            value = a.Read()
        except Exception:  # noqa: BLE001 - an unreadable attribute is skipped
            continue
        if isinstance(value, (list, tuple)) and len(value) == 1:
            value = value[0]
        out[a.GetName()] = value
    return out


def _multidim_info(path: str):
    """(variable names, global attributes, img_pair_info attributes, per-variable attributes)."""
    from osgeo import gdal
    name = os.path.basename(path)
    gdal.ErrorReset()
    ds = gdal.OpenEx(path, gdal.OF_MULTIDIM_RASTER)
    root = ds.GetRootGroup() if ds is not None else None
    if root is None:
        raise ValueError(f"cannot open {name} as a netCDF file: "
                         f"{gdal.GetLastErrorMsg() or 'not a netCDF/HDF5 file'}")
    names = list(root.GetMDArrayNames(["SHOW_ALL=YES"]) or [])
    per_var = {}
    for var in ("vx", "vy", "mapping", "img_pair_info"):
        if var in names:
            per_var[var] = _attributes(root.OpenMDArray(var))
    return names, _attributes(root), per_var.get("img_pair_info", {}), per_var


def _read_variable(path: str, var: str):
    """(float32 array with NaN, transform, crs, units) of one 2-D variable via GDAL.

    float32 holds every int16 value exactly and halves the memory of float64 (a
    3000 × 3000 granule: 36 MB per variable)."""
    uri = f'NETCDF:"{path}":{var}'
    with rasterio.open(uri) as ds:
        a = ds.read(1, masked=True).astype(np.float32)
        scale = ds.scales[0] if ds.scales else 1.0
        offset = ds.offsets[0] if ds.offsets else 0.0
        a = a.filled(np.nan)
        if (scale or 1.0) != 1.0 or (offset or 0.0) != 0.0:
            a = a * np.float32(scale or 1.0) + np.float32(offset or 0.0)
        a[~np.isfinite(a)] = np.nan
        units = ds.tags().get(f"{var}#units") or ds.tags(1).get("units")
        return a, ds.transform, ds.crs, units


def _crs(crs, mapping: Dict[str, object], name: str):
    if crs is not None and crs.is_valid:
        return crs
    for key in ("crs_wkt", "spatial_ref"):
        if mapping.get(key):
            try:
                return CRS.from_wkt(str(mapping[key]))
            except Exception:  # noqa: BLE001 - try the next description
                pass
    epsg = mapping.get("spatial_epsg")
    if epsg not in (None, ""):
        try:
            return CRS.from_epsg(int(float(epsg)))
        except Exception:  # noqa: BLE001
            pass
    raise ValueError(f"{name} has no usable projection: its 'mapping' variable has no "
                     "crs_wkt, spatial_ref or spatial_epsg")


def _pair_time(info: Dict[str, object], i: int, name: str) -> Optional[_dt.datetime]:
    for key in (f"acquisition_date_img{i}", f"acquisition_img{i}"):
        if info.get(key) not in (None, ""):
            try:
                return parse_itslive_time(info[key])
            except ValueError as exc:
                raise ValueError(f"{name}: img_pair_info attribute {key} = {info[key]!r} is "
                                 "not a date (expected YYYYMMDDTHH:MM:SS)") from exc
    return None


def read_itslive_granule(path: str, is_canceled=None) -> ItsLiveGranule:
    """Read an ITS_LIVE image-pair granule into m/d on its own (north-up) grid.

    Every variable of :data:`COMPONENTS` and :data:`OPTIONAL` present is read through
    GDAL's netCDF driver (fill value → NaN, scale/offset applied) and converted from its
    ``units`` attribute (``meter/year`` in ITS_LIVE granules) to m/d; ``vx`` is
    map-east, ``vy`` map-north. Without per-pixel ``vx_error``/``vy_error`` variables,
    the ``error`` attribute of ``vx``/``vy`` (1-σ, in that variable's units, m/yr by
    default) becomes a constant error band over the valid pixels.

    Parameters
    ----------
    path : str
        The granule (``.nc``) or a ``NETCDF:"file.nc":var`` URI or QGIS layer source
        naming it (see :func:`granule_file`).
    is_canceled : callable returning bool, optional
        Checked before each variable is read.

    Returns
    -------
    ItsLiveGranule
        Bands in m/d (float32, NaN = fill value), the grid, dates and sensor.
        ``start``/``end`` are None when the granule has no acquisition dates (the caller
        asks the user for them).

    Raises
    ------
    ValueError
        The file does not exist or cannot be opened, has no ``vx``/``vy`` variables, a
        variable cannot be read, is not 2-D or has no or unknown velocity units, its
        variables are on different grids, it has no projection or a geographic one, its
        grid is south-up or rotated, or its acquisition dates cannot be parsed; the
        message names the file.
    core.Canceled
        When ``is_canceled()`` returns True.

    References
    ----------
    Gardner, A. S., Fahnestock, M. A., Scambos, T. A., 2019 [updated]. MEaSUREs ITS_LIVE
    Landsat Image-Pair Glacier and Ice Sheet Surface Velocities: Version 1. NSIDC.
    https://doi.org/10.5067/IMR9D3PEI28U

    Lei, Y., Gardner, A., Agram, P., 2021. Autonomous Repeat Image Feature Tracking
    (autoRIFT) and its application for tracking ice displacement. Remote Sensing 13(4),
    749 (``netcdf_output.py`` layout of the variables and attributes).
    """
    path = granule_file(path)
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise ValueError(f"ITS_LIVE granule {path} does not exist")
    names, attrs, pair_info, per_var = _multidim_info(path)
    missing = [v for v in COMPONENTS if v not in names]
    if missing:
        shown = ", ".join(n for n in names if n not in ("x", "y")) or "none"
        raise ValueError(
            f"{name} is not an ITS_LIVE velocity granule: it has no variable "
            f"{' or '.join(missing)} (variables: {shown}); give an ITS_LIVE image-pair "
            "netCDF file, or import separate vx/vy rasters")
    bands = {}
    grid = None
    notes = []
    for var in COMPONENTS + OPTIONAL:
        if var not in names:
            continue
        check_canceled(is_canceled)
        try:
            a, transform, crs, units = _read_variable(path, var)
        except rasterio.errors.RasterioIOError as exc:
            raise ValueError(f"cannot read variable {var} of {name}: {exc}") from exc
        if a.ndim != 2:
            raise ValueError(f"variable {var} of {name} is not a 2-D (y, x) grid")
        if not units:
            raise ValueError(f"variable {var} of {name} has no units attribute; ITS_LIVE "
                             "granules give meter/year")
        factor = units_factor(units, f"variable {var} of {name}")
        if grid is None:
            grid = (a.shape, transform, crs)
        elif a.shape != grid[0] or not transform.almost_equals(grid[1]):
            raise ValueError(f"variable {var} of {name} is not on the grid of vx")
        bands[var] = a * np.float32(factor)
    shape, transform, crs = grid
    crs = _crs(crs, per_var.get("mapping", {}), name)
    if not crs.is_projected:
        raise ValueError(f"{name} is in a geographic CRS; ITS_LIVE granules are in UTM or "
                         "polar stereographic metres: this file is not one")
    if transform.e > 0:
        raise ValueError(f"{name}: GDAL gave a south-up grid; it cannot be imported as is")
    if transform.b != 0 or transform.d != 0:
        raise ValueError(f"{name} has a rotated grid, which glacvel products do not support")
    valid = np.isfinite(bands["vx"]) & np.isfinite(bands["vy"])
    for comp in ("vx", "vy"):
        key = f"{comp}_error"
        if key in bands:
            notes.append(f"{key}: per-pixel variable")
            continue
        err = per_var.get(comp, {}).get("error")
        try:
            err = float(err)
        except (TypeError, ValueError):
            continue
        if np.isfinite(err) and err >= 0:
            f = units_factor(str(per_var.get(comp, {}).get("units", "meter/year")),
                             f"variable {comp} of {name}")
            bands[key] = np.where(valid, np.float32(err * f), np.nan).astype(np.float32)
            notes.append(f"{key}: the {comp} 'error' attribute, {err:g} m/yr")
    start = _pair_time(pair_info, 1, name)
    end = _pair_time(pair_info, 2, name)
    sensor, satellite = sensor_code(pair_info, attrs)
    return ItsLiveGranule(path, bands, transform, crs, start, end, sensor, satellite,
                          pair_info, attrs, notes)
