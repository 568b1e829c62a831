"""Velocity datasets: a folder of scenes → pair products → monthly ``YYYYMM.tif``, on Dask.

The job (:class:`DatasetJob`, run by :func:`run_job`) is the code behind
``glacvel:velocity_dataset`` and the scene chooser's Run. It imports only glacvel's
``core`` and ``io`` (numpy, scipy, rasterio) and ``dask.distributed``, so the Dask
workers that run its tasks need no QGIS: the plugin folder's parent directory on their
``PYTHONPATH`` is enough (see docs/dataset.md).

Steps
-----
1. **Catalogue** (:func:`catalogue`): the scenes of ``scenes`` (searched recursively,
   :func:`glacvel_plugin.io.catalogue.scan_folder`, the chooser's reader), filtered by
   dates, cloud cover and area; pairs from the chooser's rules
   (:func:`glacvel_plugin.core.pairing.propose_pairs`: first and last usable scene of
   each month, Sentinel-1 24/36 d, UAV consecutive) or from a CSV pair list.
2. **Pairs** (:func:`run_pair`, one Dask task per pair): optical pairs are correlated
   with :func:`glacvel_plugin.io.pair.correlate_files` into ``pairs/<name>_raw.tif``;
   with stable-ground polygons the co-registration offset is removed and the error
   bands added (:func:`glacvel_plugin.io.stable_ground.correct_product`) into
   ``pairs/<name>.tif``, otherwise the raw product is the pair product. Sentinel-1 pairs
   go through :func:`glacvel_plugin.io.sar.track_sar_files` and UAV pairs through
   :func:`glacvel_plugin.io.uav.track_uav_files` the same way.
3. **Months**: ``monthly/YYYYMM.tif`` from the pair products with
   :func:`glacvel_plugin.io.monthly.monthly_velocity`, the code of
   ``glacvel:monthly_velocity`` (fixed weights, per-pixel inverse variance, or weights
   fitted per month against GNSS stations or reference rasters in polygons; the robust
   outlier test, local-scatter errors), run by the client once the pairs are done.
   Parameters that cannot work (:func:`check_parameters`, :func:`check_plan`,
   :func:`check_reference`) are refused before the first pair runs.
4. ``manifest.csv`` (every scene and pair, status ``done`` / ``failed`` / ``skipped``
   and the reason) and ``report.html``.

Resuming: a pair's product name comes from its scenes' times and a key over the scene
names and the parameters (:func:`pair_key`); a product that opens, has the expected
bands and carries that key in its ``DATASET_KEY`` tag is kept (checked, not assumed).
A month is rebuilt only when the products assigned to it (its ``PAIRS`` tag), the
weights or the grid differ. Products are written atomically, so a killed job leaves
only hidden ``.glacvel-*`` temporary files, which the next run removes.
"""
from __future__ import annotations

import csv
import datetime as _dt
import glob
import hashlib
import io as _io
import json
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .. import __version__
from ..core import Canceled
from ..core.pairing import Pair, check_pair, propose_pairs
from ..core.pipeline import DEFAULT_METHOD, METHODS

OPTICAL = ("L8", "L9", "S2")
MANIFEST_FIELDS = ("kind", "name", "status", "reason", "sensor", "reference", "secondary",
                   "start", "end", "dt_days", "offset_vx", "offset_vy", "nmad_vx", "nmad_vy",
                   "valid_fraction", "run_s", "worker", "product")
"""Columns of ``manifest.csv`` (offsets and NMAD in m/d; run time in seconds)."""
CANCEL_FLAG = ".glacvel-cancel"
DEFAULT_CONNECT_TIMEOUT = 5.0


# --------------------------------------------------------------------------- the job
@dataclass
class Vectors:
    """Polygons handed to the workers: GeoJSON geometries in the CRS ``crs_wkt``."""
    crs_wkt: str
    geometries: List[dict]

    def digest(self) -> str:
        """Short hash of the CRS and geometries (part of a pair product's key).

        Returns
        -------
        str
            12 hexadecimal digits of the SHA-1 of both, as sorted JSON.
        """
        return hashlib.sha1(json.dumps([self.crs_wkt, self.geometries], sort_keys=True)
                            .encode()).hexdigest()[:12]

    def bounds(self) -> Tuple[float, float, float, float]:
        """Bounds of all geometries.

        Returns
        -------
        (float, float, float, float)
            (xmin, ymin, xmax, ymax) in ``crs_wkt``.
        """
        from rasterio.features import bounds as geom_bounds
        bb = [geom_bounds(g) for g in self.geometries]
        return (min(b[0] for b in bb), min(b[1] for b in bb),
                max(b[2] for b in bb), max(b[3] for b in bb))

    def in_crs(self, crs) -> List[dict]:
        """The geometries transformed to another CRS.

        Parameters
        ----------
        crs : rasterio.crs.CRS or str
            Target CRS (a rasterio CRS, WKT or any string rasterio reads).

        Returns
        -------
        list of dict
            GeoJSON-like geometries in ``crs`` (the same ones when the CRS matches).
        """
        from rasterio.crs import CRS
        from rasterio.warp import transform_geom
        src = CRS.from_wkt(self.crs_wkt)
        dst = crs if isinstance(crs, CRS) else CRS.from_user_input(crs)
        if src == dst:
            return list(self.geometries)
        return [transform_geom(src, dst, g) for g in self.geometries]


def read_geojson(path: str) -> Vectors:
    """Polygons of a GeoJSON file as :class:`Vectors`.

    Parameters
    ----------
    path : str
        A GeoJSON file; its ``crs`` member (``urn:ogc:def:crs:`` names included) gives
        the CRS, else WGS 84. A FeatureCollection or a bare geometry; only Polygon and
        MultiPolygon geometries are kept.

    Returns
    -------
    Vectors

    Raises
    ------
    ValueError
        Naming the file when it cannot be read or holds no polygon.
    """
    from rasterio.crs import CRS
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the polygons in {path}: {exc}") from exc
    name = ((data.get("crs") or {}).get("properties") or {}).get("name") or "EPSG:4326"
    if name.startswith("urn:ogc:def:crs:"):
        name = name.split("crs:", 1)[1].replace("::", ":")
        if name == "OGC:1.3:CRS84":
            name = "OGC:CRS84"
    feats = data.get("features") or ([{"geometry": data}] if "type" in data else [])
    geoms = [f["geometry"] for f in feats if f.get("geometry") and
             f["geometry"].get("type") in ("Polygon", "MultiPolygon")]
    if not geoms:
        raise ValueError(f"{path} holds no polygon; give a polygon layer")
    return Vectors(CRS.from_user_input(name).to_wkt(), geoms)


@dataclass
class DatasetJob:
    """Everything a dataset run needs (plain values, so it pickles to Dask workers).

    Parameters
    ----------
    scenes : folder of the scenes (searched recursively)
    output : output folder (must not lie inside ``scenes``)
    start, end : optional dates (naive UTC); scenes outside [start, end] are skipped (an
        ``end`` at 00:00:00 includes its whole day)
    area : optional :class:`Vectors`; scenes whose footprint misses it are skipped and
        monthly cells outside it are no data (the monthly grid covers its bounds)
    max_cloud : maximum cloud cover (%) of a usable scene (None = no limit)
    pairs_csv : optional CSV of pairs (columns ``reference``, ``secondary``: paths,
        absolute or relative to ``scenes``, or file names) replacing the proposed pairs
    max_speed : fastest expected speed (m/d); sets the search range
    method : correlation method (``lk_phase``, the default of glacvel:optical_correlation,
        ``phase``, ``ncc``, ``lk``)
    window : correlation window (px); ``step`` None = 30 m output grid
    stable_ground : optional :class:`Vectors`: co-registration correction and error
        bands for every pair
    weights : fusion weights by source, ``"L8=0.6,S2=0.4"``; empty = inverse variance
    reference_gnss : optional GNSS station files (:func:`glacvel_plugin.io.gnss.read_gnss_files`,
        layout ``reference_layout``); the monthly weights are then fitted per month
        against the stations falling in each month, with the fallbacks and the
        leave-one-station-out validation of ``glacvel:monthly_velocity``
        (``monthly/monthly_weights.csv``); mutually exclusive with ``weights``
    reference_layout : ``kaskawulsh``, ``positions`` or ``velocity`` (:data:`glacvel_plugin.io.gnss.LAYOUTS`)
    reference_crs : CRS of the stations' coordinates (e.g. ``EPSG:32607``); None = the
        monthly grid's CRS
    reference_raster : optional reference velocity rasters (e.g. UAV; glacvel products
        with ``vx``/``vy`` bands, ``UNITS`` and the ``START_TIME``/``END_TIME`` of the
        period they stand for, one raster per survey period), used inside
        ``reference_polygons`` (:func:`glacvel_plugin.io.monthly.raster_reference`, as
        ``glacvel:monthly_velocity``'s REFERENCE_RASTER): the weights are fitted per month
        against them like against GNSS stations, each polygon one held-out group;
        mutually exclusive with ``weights`` and ``reference_gnss``
    reference_polygons : optional :class:`Vectors` where the reference rasters are used
        (None = every valid reference pixel, one group: no cross-validation)
    resolution : monthly grid spacing (m)
    min_overlap : minimum share of a pair's Δt inside a month
    workers : Dask worker processes of the local cluster (None = the machine's cores)
    scheduler : address of an existing Dask scheduler (``tcp://host:8786``) or None
    connect_timeout : seconds to wait for that scheduler and its first worker
    """
    scenes: str
    output: str
    start: Optional[_dt.datetime] = None
    end: Optional[_dt.datetime] = None
    area: Optional[Vectors] = None
    max_cloud: Optional[float] = 30.0
    pairs_csv: Optional[str] = None
    max_speed: float = 20.0
    method: str = DEFAULT_METHOD
    window: int = 32
    step: Optional[int] = None
    stable_ground: Optional[Vectors] = None
    weights: str = ""
    reference_gnss: Optional[List[str]] = None
    reference_layout: str = "kaskawulsh"
    reference_crs: Optional[str] = None
    reference_raster: Optional[List[str]] = None
    reference_polygons: Optional[Vectors] = None
    resolution: float = 30.0
    min_overlap: float = 0.25
    workers: Optional[int] = None
    scheduler: Optional[str] = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT

    @property
    def pairs_folder(self) -> str:
        return os.path.join(self.output, "pairs")

    @property
    def monthly_folder(self) -> str:
        return os.path.join(self.output, "monthly")

    @property
    def manifest_path(self) -> str:
        return os.path.join(self.output, "manifest.csv")

    @property
    def report_path(self) -> str:
        return os.path.join(self.output, "report.html")


@dataclass
class PairTask:
    """One pair to run (pickled to a worker). Paths are absolute."""
    name: str
    key: str
    sensor: str
    reference: str
    secondary: str
    start: _dt.datetime
    end: _dt.datetime
    reason: str
    raw: str
    final: str
    max_speed: float
    method: str
    window: int
    step: Optional[int]
    stable_ground: Optional[Vectors]
    cancel_flag: str
    resolution: float = 30.0

    @property
    def dt_days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400.0


@dataclass
class Catalogue:
    """Scenes found (``scene_rows``: manifest rows) and the pairs to run."""
    scene_rows: List[dict] = field(default_factory=list)
    tasks: List[PairTask] = field(default_factory=list)


def check_folders(job: DatasetJob):
    """Refuse a missing scene folder, an output folder inside it, or one we cannot write.

    Creates the output folder (and writes and removes a probe file in it).

    Parameters
    ----------
    job : DatasetJob
        Its ``scenes`` and ``output`` folders.

    Raises
    ------
    ValueError
        Naming the folder and what to change.
    """
    scenes = os.path.abspath(job.scenes or "")
    if not job.scenes or not os.path.isdir(scenes):
        raise ValueError(f"SCENES {job.scenes!r} is not a folder; choose the folder that holds "
                         "the scenes")
    if not job.output:
        raise ValueError("choose an OUTPUT_FOLDER")
    out = os.path.abspath(job.output)
    real_s, real_o = os.path.realpath(scenes), os.path.realpath(out)
    if real_o == real_s or real_o.startswith(real_s.rstrip(os.sep) + os.sep):
        raise ValueError(f"OUTPUT_FOLDER {job.output} is inside the scene folder {job.scenes}: "
                         "the job would read its own products as scenes; choose an output "
                         "folder outside it")
    try:
        os.makedirs(out, exist_ok=True)
        probe = os.path.join(out, ".glacvel-write-test")
        with open(probe, "w") as f:
            f.write("")
        os.remove(probe)
    except OSError as exc:
        raise ValueError(f"OUTPUT_FOLDER {job.output} is not writable ({exc.strerror}); choose "
                         "a folder you can write to") from exc


def pair_key(job: DatasetJob, ref: str, sec: str, sensor: str, start, end) -> str:
    """12-letter key of a pair product: a hash of the scene names, times and every parameter
    the product depends on.

    Parameters
    ----------
    job : DatasetJob
        Gives ``max_speed``, ``method``, ``window``, ``step`` and the stable-ground
        polygons' digest.
    ref, sec : str
        The reference and secondary scene paths (their base names enter the key).
    sensor : str
        The pair's sensor.
    start, end : datetime.datetime
        Acquisition times of the two scenes.

    Returns
    -------
    str
        12 letters ``a``–``p`` (the SHA-1 hex digits mapped to letters, so no run of
        digits in a product name reads as a ``YYYYMM`` month).
    """
    doc = {"ref": os.path.basename(ref), "sec": os.path.basename(sec), "sensor": sensor,
           "start": start.isoformat(), "end": end.isoformat(), "max_speed": float(job.max_speed),
           "method": job.method, "window": int(job.window), "step": job.step,
           "stable": job.stable_ground.digest() if job.stable_ground else None}
    digest = hashlib.sha1(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:12]
    # letters only, so no run of digits in a product name reads as a YYYYMM month
    return digest.translate(str.maketrans("0123456789abcdef", "abcdefghijklmnop"))


def _scene_row(rec, status, reason) -> dict:
    return {"kind": "scene", "name": os.path.basename(rec.path), "status": status,
            "reason": reason, "sensor": rec.sensor or "",
            "start": rec.time.strftime("%Y-%m-%dT%H:%M:%SZ") if rec.time else "",
            "product": rec.path}


def _relative(rows, folder):
    for r in rows:
        try:
            r["product"] = os.path.relpath(r["product"], folder)
        except ValueError:
            pass
    return rows


def _footprint_hits(rec, area: Vectors) -> bool:
    if rec.bounds is None or not rec.crs_wkt:
        return True
    from rasterio.features import bounds as geom_bounds
    for g in area.in_crs(rec.crs_wkt):
        l, b, r, t = geom_bounds(g)
        if l < rec.bounds[2] and r > rec.bounds[0] and b < rec.bounds[3] and t > rec.bounds[1]:
            return True
    return False


def _end_of(end: _dt.datetime) -> _dt.datetime:
    """END given as a date (00:00:00) includes that whole day."""
    if end.time() == _dt.time(0, 0):
        return end + _dt.timedelta(days=1) - _dt.timedelta(microseconds=1)
    return end


def _csv_pairs(job: DatasetJob, usable: Dict[str, object]) -> List[Pair]:
    by_name = {}
    for path, rec in usable.items():
        by_name.setdefault(os.path.basename(path), []).append(rec)
    try:
        with open(job.pairs_csv, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            header = [(k or "").strip().lower() for k in (reader.fieldnames or [])]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"PAIRS: cannot read the pair list {job.pairs_csv}: {exc}") from exc
    if not ({"reference", "first"} & set(header) and {"secondary", "second"} & set(header)):
        raise ValueError(f"PAIRS {job.pairs_csv} has the columns "
                         f"{', '.join(header) or '(none)'}; its first line must name the "
                         "columns 'reference' and 'secondary' (scene paths or file names)")
    if not rows:
        raise ValueError(f"PAIRS {job.pairs_csv} lists no pair; add one line per pair "
                         "(reference, secondary) or leave PAIRS empty to use the proposed "
                         "pairs")
    pairs = []
    for i, row in enumerate(rows, start=2):
        lower = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        names = [lower.get("reference") or lower.get("first"),
                 lower.get("secondary") or lower.get("second")]
        if not all(names):
            raise ValueError(f"PAIRS {job.pairs_csv} line {i}: give both the reference and "
                             "the secondary scene (paths or file names)")
        recs = []
        for n in names:
            p = n if os.path.isabs(n) else os.path.join(job.scenes, n)
            rec = usable.get(os.path.abspath(p))
            if rec is None and len(by_name.get(os.path.basename(n), [])) == 1:
                rec = by_name[os.path.basename(n)][0]
            if rec is None:
                raise ValueError(f"PAIRS {job.pairs_csv} line {i}: {n} is not a usable scene of "
                                 f"{job.scenes} (see the scene rows of the manifest)")
            recs.append(rec)
        a, b = recs[0].candidate(), recs[1].candidate()
        try:
            check_pair(a, b)
        except ValueError as exc:
            raise ValueError(f"PAIRS {job.pairs_csv} line {i}: {exc}") from exc
        pairs.append(Pair(a, b, "from the pair list"))
    return pairs


def catalogue(job: DatasetJob, progress: Optional[Callable[[float], None]] = None) -> Catalogue:
    """Scenes and pairs of a job (see the module doc).

    Parameters
    ----------
    job : DatasetJob
        The job.
    progress : callable, optional
        ``progress(fraction)`` while the folder is scanned.

    Returns
    -------
    Catalogue
        A manifest row per scene (``done`` = paired, ``skipped`` with the reason,
        ``failed`` = unreadable or undated) and a :class:`PairTask` per pair.

    Raises
    ------
    ValueError
        For a folder without rasters and when no usable pair is left, saying why
        (unreadable scenes, dates, clouds, area, sensors that do not pair).
    """
    from .catalogue import scan_folder
    records = scan_folder(job.scenes, progress)
    if not records:
        raise ValueError(f"no raster files (.tif, .jp2, ...) in {job.scenes} or its "
                         "subfolders; choose the folder that holds the scenes")
    cat = Catalogue()
    usable = {}
    why: Dict[str, int] = {}
    for rec in records:
        if not rec.usable:
            cat.scene_rows.append(_scene_row(rec, "failed", rec.error))
            why["cannot be read or dated"] = why.get("cannot be read or dated", 0) + 1
            continue
        reason = None
        if job.start is not None and rec.time < job.start:
            reason = f"acquired before START {job.start:%Y-%m-%d}"
        elif job.end is not None and rec.time > _end_of(job.end):
            reason = f"acquired after END {job.end:%Y-%m-%d}"
        elif job.max_cloud is not None and rec.cloud_cover is not None \
                and rec.cloud_cover > job.max_cloud:
            reason = f"cloud cover {rec.cloud_cover:g} % above MAX_CLOUD {job.max_cloud:g} %"
        elif job.area is not None and not _footprint_hits(rec, job.area):
            reason = "outside AREA"
        if reason:
            cat.scene_rows.append(_scene_row(rec, "skipped", reason))
            key = ("outside START/END" if reason.startswith("acquired") else
                   f"with cloud cover above MAX_CLOUD {job.max_cloud:g} %"
                   if reason.startswith("cloud") else reason)
            why[key] = why.get(key, 0) + 1
            continue
        usable[os.path.abspath(rec.path)] = rec
    if job.pairs_csv:
        pairs = _csv_pairs(job, usable)
    else:
        pairs = propose_pairs([r.candidate() for r in usable.values()], max_cloud=None)
    paired = {p.reference.key for p in pairs} | {p.secondary.key for p in pairs}
    for path, rec in usable.items():
        if rec.path in paired:
            cat.scene_rows.append(_scene_row(rec, "done", "paired"))
        else:
            cat.scene_rows.append(_scene_row(rec, "skipped", "no partner under the pairing "
                                             "rules (same sensor family and footprint; optical: "
                                             "first/last of a month, bridged up to 48 d; "
                                             "Sentinel-1: 24/36 d)"))
    _relative(cat.scene_rows, job.scenes)
    if not pairs:
        reasons = "; ".join(f"{n} {k}" for k, n in sorted(why.items()))
        sensors = sorted({r.sensor for r in usable.values()})
        raise ValueError(
            f"no usable pair in {job.scenes}: {len(records)} scene(s) found, {len(usable)} "
            "usable" + (f" ({', '.join(sensors)})" if sensors else "") +
            (f"; {reasons}" if reasons else "") +
            ". A pair needs two usable scenes of the same sensor family and footprint "
            "(optical: first and last scene of a month, or bridged to the next within 48 d; "
            "Sentinel-1: 24 or 36 d apart); widen START/END, raise MAX_CLOUD or add scenes")
    flag = os.path.join(job.output, CANCEL_FLAG)
    for p in pairs:
        a, b = p.reference, p.secondary
        key = pair_key(job, a.key, b.key, p.sensor, a.time, b.time)
        name = f"{p.sensor}_{a.time:%Y%m%dT%H%M}_{b.time:%Y%m%dT%H%M}_{key}"
        raw = os.path.join(job.pairs_folder, name + "_raw.tif")
        final = os.path.join(job.pairs_folder, name + ".tif") if job.stable_ground else raw
        cat.tasks.append(PairTask(name, key, p.sensor, a.key, b.key, a.time, b.time, p.reason,
                                  raw, final, job.max_speed, job.method, job.window, job.step,
                                  job.stable_ground, flag, job.resolution))
    return cat


# --------------------------------------------------------------------------- checks
def check_parameters(job: DatasetJob):
    """Refuse parameters that are wrong whatever the scenes, before anything is read.

    Checks METHOD, MAX_SPEED, WINDOW (≥ 8 px), RESOLUTION (a positive number), MAX_CLOUD
    (0–100 %), the minimum overlap (0–1], WEIGHTS (``NAME=VALUE`` entries), WEIGHTS and a
    reference together, the GNSS layout, and that AREA and STABLE_GROUND have a CRS.
    Nothing is read from disk.

    Parameters
    ----------
    job : DatasetJob
        The run's parameters: ``method``, ``max_speed`` (m/d), ``window`` (px),
        ``resolution`` (m), ``max_cloud`` (%), ``min_overlap`` (fraction of a month),
        ``weights``, the reference (``reference_gnss``, ``reference_layout``,
        ``reference_raster``, ``reference_polygons``) and the ``area``,
        ``stable_ground`` and ``reference_polygons`` vectors.

    Raises
    ------
    ValueError
        Naming the parameter, the value given and what to change, when: METHOD is not
        one of :data:`METHODS`; MAX_SPEED is missing, not finite or ≤ 0; WINDOW < 8 px;
        RESOLUTION is not a positive finite number; MAX_CLOUD is outside 0–100; the
        minimum overlap is outside (0, 1]; WEIGHTS do not parse
        (:func:`glacvel_plugin.core.fusion.parse_weights`); WEIGHTS are given with a
        reference; both REFERENCE_GNSS and REFERENCE_RASTER are given;
        REFERENCE_POLYGONS are given without REFERENCE_RASTER; REFERENCE_LAYOUT is
        unknown (with REFERENCE_GNSS); or AREA, STABLE_GROUND or REFERENCE_POLYGONS has
        no valid CRS or no polygon.
    """
    import math
    from rasterio.crs import CRS
    from ..core import fusion as cf
    if job.method not in METHODS:
        raise ValueError(f"unknown METHOD {job.method!r}; use one of {', '.join(METHODS)}")
    if not job.max_speed or not math.isfinite(job.max_speed) or job.max_speed <= 0:
        raise ValueError(f"MAX_SPEED must be positive (got {job.max_speed} m/d); give the "
                         "fastest speed expected on the glacier, e.g. 20 m/d")
    if int(job.window) < 8:
        raise ValueError(f"WINDOW {job.window} px is too small for a correlation; use at "
                         "least 8 px (32 is usual)")
    if not (isinstance(job.resolution, (int, float)) and math.isfinite(job.resolution)
            and job.resolution > 0):
        raise ValueError(f"RESOLUTION must be a positive number of metres (got "
                         f"{job.resolution!r}); use e.g. 30")
    if job.max_cloud is not None and not 0 <= job.max_cloud <= 100:
        raise ValueError(f"MAX_CLOUD must be between 0 and 100 % (got {job.max_cloud:g})")
    if not 0 < job.min_overlap <= 1:
        raise ValueError(f"the minimum overlap of a pair with a month must be in (0, 1] "
                         f"(got {job.min_overlap:g}); use e.g. 0.25")
    if job.weights:
        try:
            cf.parse_weights(job.weights)
        except ValueError as exc:
            raise ValueError(f"WEIGHTS {job.weights!r}: {exc}") from None
    if job.weights and has_reference(job):
        raise ValueError("give either fixed WEIGHTS or a GNSS reference / reference raster "
                         "to fit the weights per month, not both; empty WEIGHTS or the "
                         "reference")
    if job.reference_gnss and job.reference_raster:
        raise ValueError("give one reference for the weights: REFERENCE_GNSS (stations) or "
                         "REFERENCE_RASTER (e.g. UAV velocity in REFERENCE_POLYGONS), not both")
    if job.reference_polygons is not None and not job.reference_raster:
        raise ValueError("REFERENCE_POLYGONS are given without a REFERENCE_RASTER; give the "
                         "reference velocity raster they select, or leave them empty")
    if job.reference_gnss:
        from .gnss import LAYOUTS
        if job.reference_layout not in LAYOUTS:
            raise ValueError(f"unknown REFERENCE_LAYOUT {job.reference_layout!r}; use one of "
                             f"{', '.join(LAYOUTS)}")
    for name, vec in (("AREA", job.area), ("STABLE_GROUND", job.stable_ground),
                      ("REFERENCE_POLYGONS", job.reference_polygons)):
        if vec is None:
            continue
        try:
            crs = CRS.from_wkt(vec.crs_wkt) if vec.crs_wkt else None
        except Exception:   # rasterio.errors.CRSError
            crs = None
        if crs is None:
            raise ValueError(f"{name} has no valid CRS; set the layer's CRS (Layer "
                             "Properties → Source) or save it with one")
        if not vec.geometries:
            raise ValueError(f"{name} has no polygon; give a polygon layer with features")


def has_reference(job: DatasetJob) -> bool:
    """Whether the job fits its weights against a reference (GNSS or raster).

    Parameters
    ----------
    job : DatasetJob
        The run's parameters; ``reference_gnss`` and ``reference_raster`` are looked
        at (a job without a ``reference_raster`` attribute counts as having none).

    Returns
    -------
    bool
        True when ``reference_gnss`` or ``reference_raster`` is non-empty.
    """
    return bool(job.reference_gnss) or bool(getattr(job, "reference_raster", None))


def _round_down(x: float) -> float:
    """``x`` rounded down to one significant digit (1500 → 1000, 0.37 → 0.3)."""
    import math
    if x <= 0:
        return x
    e = 10 ** math.floor(math.log10(x))
    return math.floor(x / e) * e


def _overlap_px(ref: str, sec: str):
    """(width, height) in the reference scene's pixels of the two scenes' overlap."""
    import rasterio
    from rasterio.warp import transform_bounds
    with rasterio.open(ref) as a, rasterio.open(sec) as b:
        l, bo, r, t = a.bounds
        if b.crs is not None and a.crs is not None and b.crs != a.crs:
            bl, bb, br, bt = transform_bounds(b.crs, a.crs, *b.bounds)
        else:
            bl, bb, br, bt = b.bounds
        w = (min(r, br) - max(l, bl)) / abs(a.transform.a)
        h = (min(t, bt) - max(bo, bb)) / abs(a.transform.e)
    return max(0, int(round(w))), max(0, int(round(h)))


def check_plan(job: DatasetJob, cat: Catalogue, log: Callable[[str], None] = lambda s: None):
    """Refuse a plan whose parameters cannot work on these scenes, before any pair runs.

    * ``WINDOW`` larger than the overlap of the two scenes of an optical pair (every such
      pair would fail); the message gives the largest window that fits;
    * ``RESOLUTION`` coarser than the scenes' extent (fewer than 2 × 2 monthly cells), or
      so fine that the monthly grid is absurd or its months would not fit in the output
      folder's free space (:func:`glacvel_plugin.io.budget.check_grid`);
    * ``STABLE_GROUND`` polygons that cover none of the pairs' scenes.

    The monthly grid is estimated over the scenes of the pairs (or ``AREA``'s bounds), a
    little larger than the pair products' union on which it is finally built. Scenes
    that cannot be opened (or lack a CRS) are passed over here: their pairs fail on their
    own and are recorded.

    Parameters
    ----------
    job : DatasetJob
        The run's parameters: ``window`` (px), ``resolution`` (m), ``area``,
        ``min_overlap``, ``stable_ground`` and ``output`` (folder whose free space is
        checked).
    cat : Catalogue
        The planned pairs (``cat.tasks``); their scene paths are opened for their
        bounds, CRS and pixel size.
    log : callable, optional
        ``log(message)``; not called by this check.

    Raises
    ------
    ValueError
        Naming WINDOW, RESOLUTION (or AREA) or STABLE_GROUND and what to change: WINDOW
        exceeds the smaller side (in reference-scene pixels) of some optical pair's
        overlap (the smallest such overlap is named); the monthly grid at RESOLUTION has
        fewer than 2 cells in a direction (a finer resolution is suggested); the grid has
        too many cells or would not fit in the free space of ``job.output``
        (:func:`glacvel_plugin.io.budget.check_grid`); or no STABLE_GROUND polygon's
        bounding box intersects any readable scene's bounds.
    """
    import math
    from .budget import check_grid
    from .grid import target_grid
    from .monthly import FUSED_BANDS
    from ..core import timeseries as ts
    optical = [t for t in cat.tasks if t.sensor in OPTICAL]
    small = None
    for t in optical:
        try:
            w, h = _overlap_px(t.reference, t.secondary)
        except Exception:   # unreadable scene: that pair fails on its own and is recorded
            continue
        if int(job.window) > min(w, h) and (small is None or min(w, h) < min(small[1:])):
            small = (t, w, h)
    if small is not None:
        t, w, h = small
        raise ValueError(
            f"WINDOW {job.window} px is larger than the {w} × {h} px overlap of the scenes "
            f"{os.path.basename(t.reference)} and {os.path.basename(t.secondary)}; use "
            f"WINDOW {max(8, min(w, h))} px or less (32 is usual), or larger scenes")
    scenes = sorted({p for t in cat.tasks for p in (t.reference, t.secondary)})
    extent = extent_crs = None
    if job.area is not None:
        extent, extent_crs = job.area.bounds(), job.area.crs_wkt
    try:
        grid = target_grid(scenes, resolution=job.resolution, extent=extent,
                           extent_crs=extent_crs)
    except ValueError:
        grid = None     # an unreadable or CRS-less scene: its pairs fail on their own
    if grid is not None:
        if grid.width < 2 or grid.height < 2:
            fine = target_grid(scenes, resolution=1.0, extent=extent, extent_crs=extent_crs)
            span = min(fine.width, fine.height)     # metres
            raise ValueError(
                f"RESOLUTION {job.resolution:g} m is coarser than the extent of the "
                f"scenes{' in AREA' if job.area is not None else ''} "
                f"({grid.width} × {grid.height} monthly cells); use RESOLUTION "
                f"{_round_down(span / 2):g} m or finer "
                "(30 m is usual)")
        months = ts.assign_months([(t.start, t.end) for t in cat.tasks], job.min_overlap)
        check_grid(grid.width, grid.height, grid.resolution, len(FUSED_BANDS),
                   max(1, len(months)), folder=job.output, param="RESOLUTION",
                   extent_param="AREA")
    if job.stable_ground is not None:
        hit = False
        for path in scenes:
            try:
                import rasterio
                with rasterio.open(path) as ds:
                    crs, b = ds.crs, ds.bounds
            except Exception:
                continue
            from rasterio.features import bounds as geom_bounds
            for g in job.stable_ground.in_crs(crs):
                l, bo, r, tp = geom_bounds(g)
                if l < b.right and r > b.left and bo < b.top and tp > b.bottom:
                    hit = True
                    break
            if hit:
                break
        if not hit:
            raise ValueError("STABLE_GROUND covers none of the scenes of the pairs; give "
                             "stable-ground polygons over the scenes (in the layer's CRS), "
                             "or leave STABLE_GROUND empty")


def check_reference(job: DatasetJob):
    """Read the reference before any pair runs.

    The GNSS files of ``reference_gnss`` are read (every row parsed in
    ``reference_layout``), or every ``reference_raster`` is opened as a velocity product
    with its period and REFERENCE_POLYGONS are checked to touch it (bounding boxes, in
    the raster's CRS). A job without a reference passes.

    Parameters
    ----------
    job : DatasetJob
        The run's parameters: ``reference_gnss`` (paths), ``reference_layout``,
        ``reference_raster`` (paths of velocity products, m/d) and
        ``reference_polygons`` (:class:`Vectors` or None).

    Raises
    ------
    ValueError
        Naming REFERENCE_GNSS / REFERENCE_RASTER / REFERENCE_POLYGONS, the file and what
        is wrong: a reference raster is not a readable velocity product, has no
        ``START_TIME``/``END_TIME`` tags, or no REFERENCE_POLYGONS polygon overlaps it;
        the GNSS files cannot be read or parsed in ``reference_layout``, or hold no
        station velocity.
    """
    for path in job.reference_raster or []:
        from rasterio.features import bounds as geom_bounds
        from .grid import SourceReader
        base = os.path.basename(path)
        try:
            ref = SourceReader(path)
        except ValueError as exc:
            raise ValueError(f"REFERENCE_RASTER {base}: {exc}") from exc
        with ref:
            if ref.start is None or ref.end is None:
                raise ValueError(f"REFERENCE_RASTER {base} has no START_TIME/END_TIME tags; "
                                 "weights per month need the period of the reference "
                                 "velocity (tag the raster, e.g. with Import velocity)")
            if job.reference_polygons is not None:
                b = ref.ds.bounds
                if not any(l < b.right and r > b.left and bo < b.top and t > b.bottom
                           for l, bo, r, t in map(geom_bounds,
                                                  job.reference_polygons.in_crs(ref.crs))):
                    raise ValueError(f"REFERENCE_POLYGONS cover no part of REFERENCE_RASTER "
                                     f"{base}; give polygons over the reference raster (in "
                                     "the layer's CRS)")
    if job.reference_gnss:
        from .gnss import parse_columns, read_gnss_files
        try:
            records, _ = read_gnss_files(list(job.reference_gnss),
                                         parse_columns(None, job.reference_layout))
        except (OSError, ValueError) as exc:
            raise ValueError(f"REFERENCE_GNSS: {exc}") from exc
        if not records:
            raise ValueError(f"REFERENCE_GNSS: the files {', '.join(map(os.path.basename, job.reference_gnss))} "
                             "hold no station velocity; check REFERENCE_LAYOUT")


# --------------------------------------------------------------------------- pair task
def product_complete(path: str, key: Optional[str] = None,
                     bands: Sequence[str] = ("v", "vx", "vy")) -> bool:
    """Whether a product of an earlier run can be kept.

    Parameters
    ----------
    path : str
        A product GeoTIFF.
    key : str, optional
        The ``DATASET_KEY`` tag it must carry (not checked when None).
    bands : sequence of str, default ("v", "vx", "vy")
        Band descriptions it must have.

    Returns
    -------
    bool
        True when ``path`` exists, opens, has ``bands`` and the ``START_TIME``/``END_TIME``
        tags, carries ``key`` and its last pixel reads.
    """
    if not os.path.exists(path):
        return False
    import rasterio
    try:
        with rasterio.open(path) as ds:
            names = [d or "" for d in ds.descriptions]
            tags = ds.tags()
            if any(b not in names for b in bands):
                return False
            if not tags.get("START_TIME") or not tags.get("END_TIME"):
                return False
            if key is not None and tags.get("DATASET_KEY") != key:
                return False
            h, w = ds.height, ds.width
            ds.read(names.index(bands[0]) + 1,
                    window=((max(0, h - 1), h), (max(0, w - 1), w)))
    except Exception:
        return False
    return True


def _worker_name() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except Exception:
        return f"{socket.gethostname()}:{os.getpid()}"


def _f(v) -> str:
    try:
        return f"{float(v):.6g}"
    except (TypeError, ValueError):
        return ""


def pair_row(task: PairTask, status: str, reason: str, **extra) -> dict:
    """A manifest row for a pair.

    Parameters
    ----------
    task : PairTask
        The pair.
    status : str
        ``done``, ``failed`` or ``skipped``.
    reason : str
        Why (the error message of a failed pair).
    **extra
        Further columns (``run_s``, ``worker``, offsets, NMAD, valid fraction).

    Returns
    -------
    dict
        Column → text (:data:`MANIFEST_FIELDS`); times ISO 8601 UTC, ``dt_days`` with
        four decimals, ``product`` relative to the output folder.
    """
    row = {"kind": "pair", "name": task.name, "status": status, "reason": reason,
           "sensor": task.sensor, "reference": os.path.basename(task.reference),
           "secondary": os.path.basename(task.secondary),
           "start": task.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
           "end": task.end.strftime("%Y-%m-%dT%H:%M:%SZ"), "dt_days": f"{task.dt_days:.4f}",
           "product": os.path.relpath(task.final, os.path.dirname(os.path.dirname(task.final)))}
    row.update(extra)
    return row


def _row_from_tags(task: PairTask, path: str) -> dict:
    import rasterio
    with rasterio.open(path) as ds:
        t = ds.tags()
    return {"offset_vx": _f(t.get("SG_OFFSET_VX")), "offset_vy": _f(t.get("SG_OFFSET_VY")),
            "nmad_vx": _f(t.get("SG_HELDOUT_NMAD_VX")), "nmad_vy": _f(t.get("SG_HELDOUT_NMAD_VY")),
            "valid_fraction": _f(t.get("VALID_FRACTION"))}


def run_pair(task: PairTask) -> dict:
    """Run one pair (a Dask task); never raises for a bad pair.

    Optical pairs are correlated with :func:`glacvel_plugin.io.pair.correlate_files`,
    Sentinel-1 pairs tracked with :func:`glacvel_plugin.io.sar.track_sar_files` and UAV
    pairs with :func:`glacvel_plugin.io.uav.track_uav_files`, each at the job's
    resolution; with stable ground, :func:`glacvel_plugin.io.stable_ground.correct_product`
    writes the final product.

    Parameters
    ----------
    task : PairTask
        The pair (paths, times, parameters, the cancel flag file).

    Returns
    -------
    dict
        A manifest row (:data:`MANIFEST_FIELDS`) with ``status`` ``done`` (also for a
        complete product of an earlier run: ``reused`` is then True), ``failed`` (the
        reason is the error message) or ``skipped`` (a cancel).
    """
    t0 = time.time()
    worker = _worker_name()
    final_bands = ("v", "vx", "vy", "vx_error", "vy_error") if task.stable_ground else ("v", "vx", "vy")

    def row(status, reason, **kw):
        r = pair_row(task, status, reason, run_s=f"{time.time() - t0:.2f}", worker=worker, **kw)
        return r

    if os.path.exists(task.cancel_flag):
        return row("skipped", "canceled; run the job again to finish it")
    if product_complete(task.final, task.key, final_bands):
        r = row("done", "complete product from an earlier run", **_row_from_tags(task, task.final))
        r["reused"] = True
        return r

    def is_canceled():
        return os.path.exists(task.cancel_flag)

    try:
        os.makedirs(os.path.dirname(task.raw), exist_ok=True)
        if not product_complete(task.raw, task.key, ("v", "vx", "vy", "dx", "dy", "quality")):
            tags = {"DATASET_KEY": task.key, "PAIR_NAME": task.name}
            if task.sensor in OPTICAL:
                from .pair import correlate_files
                correlate_files(task.reference, task.secondary, task.raw, task.start, task.end,
                                window=task.window, step=task.step, max_speed=task.max_speed,
                                method=task.method, sensor=task.sensor, workers=1,
                                extra_tags=tags, is_canceled=is_canceled,
                                overviews=task.stable_ground is None)
            elif task.sensor == "S1":
                from .sar import track_sar_files
                track_sar_files(task.reference, task.secondary, task.raw, task.start, task.end,
                                max_speed=task.max_speed, resolution=task.resolution,
                                extra_tags=tags, is_canceled=is_canceled)
            elif task.sensor == "UAV":
                from .uav import track_uav_files
                track_uav_files(task.reference, task.secondary, task.raw, task.start, task.end,
                                max_speed=task.max_speed, resolution=task.resolution,
                                extra_tags=tags, is_canceled=is_canceled)
            else:
                raise ValueError(f"no tracking method for {task.sensor} pairs")
        if task.stable_ground is not None:
            from .product import read_product
            from .raster import rasterize_mask
            from .stable_ground import correct_product
            product = read_product(task.raw)
            geoms = task.stable_ground.in_crs(product.crs)
            mask = rasterize_mask(geoms, product.transform, product.shape)
            if not mask.any():
                raise ValueError("STABLE_GROUND covers no pixel of this pair's product; give "
                                 "stable-ground polygons over the scenes")
            correct_product(product, task.raw, task.final, mask, "polygons",
                            is_canceled=is_canceled)
        return row("done", "", **_row_from_tags(task, task.final))
    except Canceled:
        return row("skipped", "canceled; run the job again to finish it")
    except Exception as exc:  # a bad pair must never stop the others
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return row("failed", msg[:300])


# --------------------------------------------------------------------------- month task
def _month_current(path: str, pairs_tag: str, grid, key: str) -> bool:
    """Whether ``path`` is a complete monthly product of these pairs (``PAIRS`` tag), this
    grid and this dataset key (area, resolution, weights, glacvel version)."""
    if not product_complete(path, None, ("v", "vx", "vy", "v_error", "count")):
        return False
    import rasterio
    with rasterio.open(path) as ds:
        t = ds.tags()
        same_grid = (ds.crs == grid.crs and ds.width == grid.width and ds.height == grid.height
                     and ds.transform.almost_equals(grid.transform))
    return same_grid and t.get("PAIRS") == pairs_tag and t.get("DATASET_KEY") == key


# --------------------------------------------------------------------------- the cluster
_WORKER_PYTHON = []


def _python_for_workers():
    """Make multiprocessing start the local workers with this very Python.

    Embedded in QGIS (desktop or ``qgis_process``), ``sys.executable`` is QGIS or the first
    ``python3`` on PATH, which may be another installation; the candidates are checked
    (same version and base prefix, numpy, rasterio and distributed importable with this
    process's ``sys.path``) and the first good one is used. Raises ``ValueError`` if none is.
    """
    import multiprocessing
    import shutil
    import subprocess
    import sys
    if _WORKER_PYTHON:
        multiprocessing.set_executable(_WORKER_PYTHON[0])
        return _WORKER_PYTHON[0]
    v = sys.version_info
    tried = []
    probe = (f"import sys; assert sys.version_info[:2] == ({v.major}, {v.minor}); "
             f"assert sys.base_prefix == {sys.base_prefix!r}; sys.path[:0] = sys.argv[1:]; "
             "import csv, numpy, rasterio, distributed")
    for cand in (sys.executable, os.path.join(sys.base_exec_prefix, "bin", f"python{v.major}.{v.minor}"),
                 os.path.join(sys.exec_prefix, "bin", f"python{v.major}.{v.minor}"),
                 f"/usr/bin/python{v.major}.{v.minor}", shutil.which("python3")):
        if not cand or cand in tried or not os.path.isfile(cand):
            continue
        tried.append(cand)
        try:
            ok = subprocess.run([cand, "-c", probe] + [p for p in sys.path if p],
                                capture_output=True, timeout=120).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            _WORKER_PYTHON.append(cand)
            multiprocessing.set_executable(cand)
            return cand
    raise ValueError(f"no Python {v.major}.{v.minor} with numpy, rasterio and dask.distributed "
                     f"found for the local Dask workers (tried {', '.join(tried) or 'none'}); "
                     "give SCHEDULER of a cluster started with dask-scheduler/dask-worker")


def connect(job: DatasetJob, log: Callable[[str], None] = lambda s: None):
    """The Dask cluster of a job.

    Parameters
    ----------
    job : DatasetJob
        ``scheduler`` (address of an existing scheduler, or None for a LocalCluster of
        ``workers`` processes), ``connect_timeout``.
    log : callable, optional
        ``log(message)``.

    Returns
    -------
    client : distributed.Client
    cluster : distributed.LocalCluster or None
        None when connected to ``job.scheduler``.

    Raises
    ------
    ValueError
        Naming the address when the scheduler cannot be reached within
        ``job.connect_timeout`` seconds or has no worker that can import glacvel, or when
        no Python for local workers is found.
    """
    import logging
    from distributed import Client
    if job.scheduler:
        addr = job.scheduler.strip()
        try:
            client = Client(addr, timeout=job.connect_timeout)
        except (OSError, TimeoutError) as exc:
            raise ValueError(
                f"cannot connect to the Dask scheduler at {addr} within "
                f"{job.connect_timeout:g} s ({type(exc).__name__}: {exc}); start "
                f"`dask-scheduler` there and `dask-worker {addr}` on the machines, check the "
                "address and firewall, or leave SCHEDULER empty to use this machine's cores"
            ) from exc
        try:
            client.wait_for_workers(1, timeout=max(job.connect_timeout, 10.0))
        except Exception as exc:
            client.close()
            raise ValueError(f"the Dask scheduler at {addr} has no worker; start "
                             f"`dask-worker {addr}` on the machines (with the plugin folder's "
                             "parent on PYTHONPATH)") from exc
        try:
            versions = client.run(eval, "__import__('glacvel_plugin').__version__")
        except Exception as exc:
            client.close()
            raise ValueError(f"the Dask workers of {addr} cannot import glacvel_plugin "
                             f"({exc}); put the folder that holds glacvel_plugin on their "
                             "PYTHONPATH (see docs/dataset.md)") from exc
        log(f"Dask cluster {addr}: {len(versions)} worker(s)")
        return client, None
    n = int(job.workers or os.cpu_count() or 1)
    _python_for_workers()
    cluster = local_cluster(n, silence_logs=logging.ERROR)
    log(f"local Dask cluster: {n} worker process(es)")
    return Client(cluster), cluster


WORKER_MMAP_THRESHOLD = 32 * 2 ** 20
"""``MALLOC_MMAP_THRESHOLD_`` (bytes) of the local Dask workers' processes.

Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536``
(``distributed.nanny.pre-spawn-environ``) so that freed memory goes back to the
system. Setting any glibc malloc threshold also freezes the mmap threshold at its
128 KiB start value, which glibc otherwise raises as large blocks are freed (up to
32 MiB on 64-bit systems): every array above 128 KiB is then a fresh ``mmap`` whose
pages are faulted in and zeroed again, and a pair of 800 px Landsat-8 crops took 0.85 s
instead of 0.49 s in its task (in one process, with and without the variable; same peak
memory, 315–320 MB). Fixing the mmap threshold at glibc's own upper value keeps
Dask's trimming and the speed of a plain process; blocks above it are still mapped and
returned to the system when freed."""


def local_cluster(n_workers: int, **kwargs):
    """A ``distributed.LocalCluster`` of single-threaded worker processes for pair tasks.

    The workers get ``MALLOC_MMAP_THRESHOLD_`` = :data:`WORKER_MMAP_THRESHOLD` besides
    Dask's own ``distributed.nanny.pre-spawn-environ`` variables (a value already in
    this process's environment wins, as for Dask's own variables).

    Parameters
    ----------
    n_workers : int
        Worker processes (one thread each).
    **kwargs
        Further ``LocalCluster`` arguments (``silence_logs``, ...).

    Returns
    -------
    distributed.LocalCluster
        Started, without a dashboard.
    """
    import dask
    from distributed import LocalCluster
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    environ.setdefault("MALLOC_MMAP_THRESHOLD_", WORKER_MMAP_THRESHOLD)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return LocalCluster(n_workers=int(n_workers), threads_per_worker=1, processes=True,
                            dashboard_address=None, **kwargs)


def _wait_some(pending, timeout=0.5):
    """The futures of ``pending`` that finished within ``timeout`` s (maybe none).

    Raises ``ValueError`` when the client lost its scheduler (nothing can finish then)."""
    from distributed import wait
    try:
        done, _ = wait(list(pending), timeout=timeout, return_when="FIRST_COMPLETED")
    except Exception:   # timeout: nothing finished yet
        client = next(iter(pending)).client if pending else None
        if client is not None and client.status not in ("running", "connecting", "newly-created"):
            addr = getattr(client.scheduler, "address", "") if client.scheduler else ""
            raise ValueError(f"lost the connection to the Dask scheduler {addr} "
                             f"(client {client.status}); the finished pairs are kept: run the "
                             "job again") from None
        return []
    return list(done)


def _future_failure(fut) -> str:
    try:
        exc = fut.exception()
    except Exception as e:  # noqa: BLE001
        exc = e
    return f"{type(exc).__name__}: {exc}"[:300]


# --------------------------------------------------------------------------- manifest
def read_manifest(path: str) -> List[dict]:
    """Rows of a ``manifest.csv``.

    Parameters
    ----------
    path : str
        The manifest.

    Returns
    -------
    list of dict
        Column → text; empty when the file is absent or unreadable.
    """
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    except OSError:
        return []


def write_manifest(path: str, rows: List[dict]) -> bool:
    """Write ``manifest.csv`` atomically when its content changes.

    Parameters
    ----------
    path : str
        The manifest.
    rows : list of dict
        Rows; columns :data:`MANIFEST_FIELDS` (others ignored, missing ones empty).

    Returns
    -------
    bool
        True if written (False when the file already holds this content).

    Raises
    ------
    OSError
        As :func:`glacvel_plugin.io.files.atomic_write_text`.
    """
    from .files import atomic_write_text
    buf = _io.StringIO()
    w = csv.DictWriter(buf, fieldnames=MANIFEST_FIELDS, extrasaction="ignore",
                       lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in MANIFEST_FIELDS})
    text = buf.getvalue()
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    atomic_write_text(path, lambda f: f.write(text), newline="")
    return True


def remove_temporaries(job: DatasetJob) -> List[str]:
    """Delete hidden ``.glacvel-*`` files a killed run left in the job's folders.

    The output, ``pairs/`` and ``monthly/`` folders (not recursively); the cancel flag
    is kept.

    Parameters
    ----------
    job : DatasetJob
        The job.

    Returns
    -------
    list of str
        Paths removed.
    """
    gone = []
    for folder in (job.output, job.pairs_folder, job.monthly_folder):
        for p in glob.glob(os.path.join(folder, ".glacvel-*")):
            if os.path.basename(p) == CANCEL_FLAG:
                continue
            try:
                os.remove(p)
                gone.append(p)
            except OSError:
                pass
    return gone


# --------------------------------------------------------------------------- the run
@dataclass
class JobResult:
    """What a run did: manifest rows, counts, months written/rebuilt, output paths."""
    rows: List[dict]
    pairs_total: int
    pairs_done: int
    pairs_failed: int
    pairs_skipped: int
    pairs_run: int
    months: List[str]
    months_rebuilt: List[str]
    manifest: str
    report: str
    monthly_folder: str


def run_job(job: DatasetJob, progress: Optional[Callable[[int, int], None]] = None,
            is_canceled: Optional[Callable[[], bool]] = None,
            log: Callable[[str], None] = lambda s: None, client=None) -> JobResult:
    """Run (or resume) a dataset job; see the module doc.

    Parameters
    ----------
    job : the job
    progress : ``progress(pairs finished, pairs total)`` after every pair
    is_canceled : asked twice a second; a cancel stops the job (running tasks stop at
        their next check, queued ones are dropped), removes every temporary file and
        raises ``core.Canceled``; finished products stay and are reused by the next run
    log : ``log(message)`` for progress messages
    client : an existing ``distributed.Client`` to use (else :func:`connect`)

    Returns
    -------
    :class:`JobResult`

    Raises
    ------
    ValueError
        bad folders, no pair, unreachable scheduler (messages name the input).
    core.Canceled
        when cancelled.
    """
    check_parameters(job)
    check_folders(job)
    canceled = is_canceled or (lambda: False)
    flag = os.path.join(job.output, CANCEL_FLAG)
    if os.path.exists(flag):
        os.remove(flag)
    removed = remove_temporaries(job)
    if removed:
        log(f"removed {len(removed)} temporary file(s) of an interrupted run")
    cat = catalogue(job)
    check_plan(job, cat)
    check_reference(job)
    tasks = cat.tasks
    log(f"{sum(r['status'] != 'failed' for r in cat.scene_rows)} scene(s), {len(tasks)} pair(s)")
    old = {r["name"]: r for r in read_manifest(job.manifest_path) if r.get("kind") == "pair"}
    own = client is None
    cluster = None
    if own:
        client, cluster = connect(job, log)
    results: Dict[str, dict] = {}
    run_count = 0
    rerun = set()
    try:
        futures = {client.submit(run_pair, t, key=f"glacvel-pair-{t.name}-{time.time_ns()}",
                                 pure=False): t for t in tasks}
        pending = set(futures)
        while pending:
            if canceled():
                _cancel(client, job, flag, pending, log)
                _finish_rows(job, cat, tasks, results, old, canceled=True)
                raise Canceled()
            for fut in _wait_some(pending):
                t = futures[fut]
                if fut.status in ("lost", "pending"):
                    # its result lived on a worker that died after the task finished: the
                    # scheduler computes it again (the pair's product is then reused)
                    continue
                pending.discard(fut)
                if fut.status == "finished":
                    try:
                        r = fut.result()
                    except Exception:   # noqa: BLE001 - lost between status and result
                        pending.add(fut)
                        continue
                else:   # the task itself broke (e.g. its workers kept dying)
                    r = pair_row(t, "failed", _future_failure(fut), worker="")
                reused = r.pop("reused", False)
                prev = old.get(t.name)
                if not reused:
                    run_count += 1
                    rerun.add(os.path.basename(t.final))
                if prev is not None and prev.get("status") == r["status"] and (
                        reused or (r["status"] != "done" and prev.get("reason") == r["reason"])):
                    r = prev    # same outcome as before: keep the row of the run that made it
                results[t.name] = r
                log(f"{t.name}: {r['status']}" + (f" ({r['reason']})" if r["reason"] else ""))
                if progress:
                    progress(len(results), len(tasks))
            if pending:     # progress on disk for a job that gets killed
                _finish_rows(job, cat, tasks, results, old)
        rows = _finish_rows(job, cat, tasks, results, old)
        months, rebuilt, month_info = _months(job, client, tasks, results, rerun, canceled, flag,
                                           log)
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
        if os.path.exists(flag):
            os.remove(flag)
        remove_temporaries(job)
    manifest_changed = write_manifest(job.manifest_path, rows)
    if manifest_changed or rebuilt or not os.path.exists(job.report_path):
        from .dataset_report import write_report
        write_report(job, rows, month_info)
    counts = {s: sum(1 for t in tasks if results[t.name]["status"] == s)
              for s in ("done", "failed", "skipped")}
    return JobResult(rows, len(tasks), counts["done"], counts["failed"], counts["skipped"],
                     run_count, months, rebuilt, job.manifest_path, job.report_path,
                     job.monthly_folder)


def _cancel(client, job, flag, pending, log, wait_s: float = 30.0):
    """Stop the tasks: they see the cancel flag (running ones at their next check,
    queued ones at once) and return without a product; stragglers are cancelled."""
    with open(flag, "w") as f:
        f.write("cancel\n")
    log("canceling…")
    deadline = time.time() + wait_s
    while pending and time.time() < deadline:
        for fut in _wait_some(pending, 0.2):
            pending.discard(fut)
    if pending:
        client.cancel(list(pending))


def _finish_rows(job, cat, tasks, results, old, canceled=False) -> List[dict]:
    """Manifest rows: scenes, then every pair (a pair still running keeps its row of the
    previous run, if any); written to disk while the run is incomplete."""
    rows = list(cat.scene_rows)
    for t in tasks:
        r = results.get(t.name)
        if r is None:
            if canceled:
                r = pair_row(t, "skipped", "canceled; run the job again to finish it")
            elif t.name in old:
                r = old[t.name]
            else:
                continue
        rows.append(r)
    if canceled or len(results) < len(tasks):
        write_manifest(job.manifest_path, rows)
    return rows


def _file_digest(paths) -> str:
    """SHA-1 over the contents of ``paths`` (sorted), read in 1 MiB chunks."""
    digest = hashlib.sha1()
    for path in sorted(paths):
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _months(job, client, tasks, results, rerun, canceled, flag, log):
    """Plan the months and rebuild the ones whose inputs changed or were re-run (``rerun``:
    file names of the pair products made by this run) with
    :func:`glacvel_plugin.io.monthly.monthly_velocity`, the code of
    ``glacvel:monthly_velocity`` (weights, robust fusion, local-scatter errors); returns
    (months written, months rebuilt, info per month)."""
    from .grid import target_grid
    from .monthly import monthly_velocity, plan_months
    from .raster import rasterize_mask
    from ..core import fusion as cf
    done = [t.final for t in tasks if results[t.name]["status"] == "done"]
    if not done:
        log("no pair product: no monthly product")
        return [], [], {}
    extent = extent_crs = None
    if job.area is not None:
        extent, extent_crs = job.area.bounds(), job.area.crs_wkt
    grid = target_grid(done, resolution=job.resolution, extent=extent, extent_crs=extent_crs)
    weights = cf.parse_weights(job.weights) if job.weights else None
    wtext = cf.format_weights(weights) if weights else "inverse-variance per pixel"
    reference, ref_digest = None, None
    if job.reference_gnss:
        from .gnss import parse_columns, read_gnss_files
        from .monthly import gnss_reference
        if weights:
            raise ValueError("give either fixed WEIGHTS or a GNSS reference to fit the "
                             "weights per month, not both")
        records, skipped = read_gnss_files(list(job.reference_gnss),
                                           parse_columns(None, job.reference_layout))
        reference = gnss_reference(records, grid, job.reference_crs)
        wtext = f"fitted per month against {len(records)} GNSS velocities"
        log(f"GNSS reference: {len(records)} station velocities from "
            f"{len(job.reference_gnss)} file(s) ({skipped} rows without data skipped)")
        ref_digest = [_file_digest(job.reference_gnss), job.reference_layout,
                      job.reference_crs]
    if job.reference_raster:
        from .monthly import raster_reference
        geoms = job.reference_polygons.in_crs(grid.crs) if job.reference_polygons else None
        reference = raster_reference(list(job.reference_raster), grid, geoms,
                                     is_canceled=canceled)
        n_groups = len(set(reference.groups.tolist()))
        wtext = (f"fitted per month against {len(job.reference_raster)} reference raster(s) "
                 f"in {n_groups} polygon(s)")
        log(f"reference raster: {len(reference.rows)} pixels in {n_groups} polygon(s) of "
            f"{len(job.reference_raster)} raster(s)")
        if not geoms:
            log("no REFERENCE_POLYGONS: every valid reference pixel is one group, so there "
                "is no held-out validation")
        ref_digest = [_file_digest(job.reference_raster),
                      job.reference_polygons.digest() if job.reference_polygons else None]
    labels, pairs_tags = plan_months(done, job.min_overlap)
    key = hashlib.sha1(json.dumps([job.area.digest() if job.area else None, job.resolution,
                                   wtext, ref_digest, __version__]).encode()).hexdigest()[:12]
    info, todo = {}, []
    by_name = {os.path.basename(p): p for p in done}
    for label in labels:
        tag = pairs_tags.get(label)
        if tag is None:
            info[label] = {"pairs": 0}
            continue
        members = [m.rsplit(":", 1)[0] for m in tag.split(";")]
        path = os.path.join(job.monthly_folder, f"{label}.tif")
        info[label] = {"pairs": len(members), "path": path, "weights": wtext}
        touched = any(m in rerun or m not in by_name for m in members)
        if not touched and _month_current(path, tag, grid, key):
            continue
        todo.append(label)
    rebuilt = []
    if todo:
        log(f"building {len(todo)} monthly product(s)")
        cell_mask = None
        if job.area is not None:
            geoms = job.area.in_crs(grid.crs)

            def cell_mask(win):
                return rasterize_mask(geoms, grid.window_transform(win),
                                      (int(win.height), int(win.width)))
        res = monthly_velocity(done, job.monthly_folder, grid, weights=weights,
                               reference=reference, min_overlap=job.min_overlap,
                               months_to_write=set(todo),
                               extra_tags={"DATASET_KEY": key}, cell_mask=cell_mask,
                               grid_param="RESOLUTION",
                               log=log, is_canceled=canceled)
        rebuilt = sorted(res.written)
        for note in res.notes:
            log(note)
        if res.table:
            log(f"weights and held-out validation per month: {res.table}")
        for label in todo:
            if label not in res.written:
                info[label]["path"] = ""
    written = [lab for lab, i in info.items() if i.get("path") and os.path.exists(i["path"])]
    return written, rebuilt, info
