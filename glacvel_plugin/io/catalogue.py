"""The scene catalogue of a folder: sensor, time, footprint, cloud cover, CRS, bounds.

Used by the scene and pair chooser (``gui/scene_chooser.py``) and by the dataset job
(``io/dataset.py``), which runs on Dask workers without QGIS: this module imports
rasterio, ``core`` and ``io.scenes`` only (Qt is used for translations when it is
available).
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from ..core.pairing import Scene


def translate(context: str, text: str) -> str:
    """Qt translation of a message when Qt is importable (QGIS), else the message itself.

    Parameters
    ----------
    context : str
        Translation context (``"SceneChooserDialog"``).
    text : str
        The English text.

    Returns
    -------
    str
    """
    try:
        from qgis.PyQt.QtCore import QCoreApplication
    except ImportError:
        return text
    return QCoreApplication.translate(context, text)


RASTER_EXT = (".tif", ".tiff", ".jp2", ".img", ".vrt")
_BAND_RE = re.compile(r"_B(\d{1,2}A?)(?:_|\.|$)", re.IGNORECASE)
# correlation band of each sensor family: Landsat OLI band 8 (15 m), Sentinel-2 band 8 (10 m)
_CORRELATION_BANDS = {"L8": ("8",), "L9": ("8",), "S2": ("08", "8")}


@dataclass
class SceneRecord:
    """One raster file found by :func:`scan_folder`.

    Attributes
    ----------
    path : str
    sensor : str or None
        ``L8``, ``L9``, ``S2``, ``S1``, ``UAV``, ...
    time : datetime.datetime or None
        Acquisition time (naive UTC).
    footprint : str or None
        Path/row or tile id.
    cloud_cover : float or None
        Cloud cover (%).
    crs_authid, crs_wkt : str
        The raster's CRS.
    bounds : tuple or None
        (left, bottom, right, top) in ``crs_wkt``.
    error : str or None
        None for a usable scene, else the reason it cannot be used.
    extra : dict
        Further facts (``date_only``, ...).
    """
    path: str
    sensor: Optional[str] = None
    time: Optional[_dt.datetime] = None
    footprint: Optional[str] = None
    cloud_cover: Optional[float] = None
    crs_authid: str = ""
    crs_wkt: str = ""
    bounds: Optional[tuple] = None
    error: Optional[str] = None
    extra: dict = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        return self.error is None

    def candidate(self) -> Scene:
        """The scene as a pairing candidate.

        Returns
        -------
        glacvel_plugin.core.pairing.Scene
        """
        return Scene(self.path, self.sensor, self.time, self.footprint, self.cloud_cover)


def _is_other_band(name: str, sensor: Optional[str]) -> bool:
    """True for band files a correlation does not use (Landsat B1–B7, B9–B11; S2 B01…)."""
    m = _BAND_RE.search(name)
    if not m or sensor not in _CORRELATION_BANDS:
        return False
    return m.group(1).upper().lstrip("0") not in {b.lstrip("0") for b in _CORRELATION_BANDS[sensor]}


def read_scene(path: str) -> SceneRecord:
    """Describe one raster file: sensor, time, footprint, cloud cover, CRS, bounds.

    Never raises: a file that cannot be opened or has no acquisition time comes back
    with ``error`` set to the reason (shown in the chooser's table).

    Parameters
    ----------
    path : str
        A raster file.

    Returns
    -------
    SceneRecord
    """
    import rasterio

    from ..core.scenes import parse_scene_name
    from ..io.scenes import scene_info
    rec = SceneRecord(path)
    named = parse_scene_name(os.path.basename(path))
    rec.sensor, rec.time, rec.footprint = named.sensor, named.time, named.footprint_id
    rec.extra["date_only"] = named.date_only
    try:
        with rasterio.open(path) as ds:
            tags = dict(ds.tags())
            names = [d or "" for d in ds.descriptions]
            if ds.crs is not None:
                rec.crs_wkt = ds.crs.to_wkt()
                epsg = ds.crs.to_epsg()
                rec.crs_authid = f"EPSG:{epsg}" if epsg else ds.crs.to_string()[:40]
            rec.bounds = tuple(ds.bounds)
            ds.read(1, window=((0, min(1, ds.height)), (0, min(1, ds.width))))
    except Exception as exc:  # rasterio/GDAL errors: corrupt, truncated, not a raster
        msg = str(exc).splitlines()[0].replace(path, os.path.basename(path))
        rec.error = translate("SceneChooserDialog", "cannot read: {}").format(msg[:200])
        return rec
    if "v" in names and "vx" in names:
        rec.error = translate("SceneChooserDialog", "a velocity product, not a scene")
        return rec
    info = scene_info(path, tags)
    rec.sensor, rec.time, rec.footprint = info.sensor, info.time, info.footprint_id
    rec.cloud_cover = info.extra.get("cloud_cover")
    rec.extra = dict(info.extra, date_only=info.date_only)
    if rec.time is not None and rec.sensor is None:
        rec.sensor = "UAV"  # dated by its tags only (EXIF/TIFF date of an orthomosaic)
    if not rec.crs_wkt:
        rec.error = translate("SceneChooserDialog", "no coordinate reference system")
    elif rec.time is None:
        rec.error = translate("SceneChooserDialog", "no acquisition time (no Landsat/Sentinel name, MTL file or date tag)")
    return rec


def scan_folder(folder: str, progress: Optional[Callable[[float], None]] = None) -> List[SceneRecord]:
    """Scan a folder recursively for Landsat-8/9, Sentinel-2, Sentinel-1 and UAV rasters.

    Files ending in :data:`RASTER_EXT` are read (:func:`read_scene`); Landsat/Sentinel-2
    band files other than the correlation band (OLI B8, MSI B08) and hidden
    ``.glacvel-*`` temporaries are skipped.

    Parameters
    ----------
    folder : str
        The scene folder.
    progress : callable, optional
        ``progress(fraction)`` after each file.

    Returns
    -------
    list of SceneRecord
        Sorted by time (unusable ones last).

    Raises
    ------
    ValueError
        When ``folder`` is not a folder.
    """
    if not folder or not os.path.isdir(folder):
        raise ValueError(translate("SceneChooserDialog", "{} is not a folder; choose the folder that holds the scenes").format(folder))
    from ..core.scenes import parse_scene_name
    files = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for n in sorted(names):
            if n.lower().endswith(RASTER_EXT) and not n.startswith(".glacvel-"):
                if _is_other_band(n, parse_scene_name(n).sensor):
                    continue
                files.append(os.path.join(root, n))
    out = []
    for i, f in enumerate(files):
        out.append(read_scene(f))
        if progress:
            progress((i + 1) / len(files))
    out.sort(key=lambda r: (not r.usable, r.time or _dt.datetime.max, r.path))
    return out
