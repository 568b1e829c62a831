"""``glacvel:sar_offset_tracking``: Sentinel-1 GRD amplitude offset tracking → velocity product.

Also holds :class:`AlignedPair`, the windowed reader of an image pair on a common work
grid that ``glacvel:uav_feature_tracking`` shares.
"""
from __future__ import annotations

import math
import os

import numpy as np
import rasterio
import rasterio.coords
import rasterio.crs
import rasterio.warp
from affine import Affine
from rasterio.enums import ColorInterp, Resampling
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window
from qgis.core import (QgsProcessingParameterDateTime, QgsProcessingParameterDefinition,
                       QgsProcessingParameterEnum, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterDestination, QgsProcessingParameterRasterLayer)

from ..core import offset_tracking as ot
from ..core.feature_tracking import MatchResult, search_range_px
from ..io.budget import check_search
from ..io.sensor import check_sar_input
from ..io.product import format_time, standard_tags, write_product
from ..io.raster import utm_epsg
from ..io.scenes import acquisition_time, scene_info
from .base import GlacvelAlgorithm, callbacks, check_canceled, optional_datetime

LUMA = (0.299, 0.587, 0.114)
"""ITU-R BT.601 luma weights for RGB → luminance."""


def _open(path, role):
    try:
        return rasterio.open(path)
    except Exception as exc:  # RasterioIOError, or a non-raster file
        raise ValueError(f"cannot read the {role} image {path}: {exc}; give a readable GeoTIFF "
                         "or other GDAL raster") from exc


def _data_bands(ds):
    """Indexes of the data bands (alpha excluded) and the alpha band index or None."""
    ci = list(ds.colorinterp)
    alpha = [i + 1 for i, c in enumerate(ci) if c == ColorInterp.alpha]
    data = [i + 1 for i in range(ds.count) if (i + 1) not in alpha]
    return data, (alpha[0] if alpha else None)


class AlignedPair:
    """Reference and secondary images read window by window on one work grid.

    The work grid is the reference grid, or — with ``resolution`` — a grid over the
    reference extent with square pixels of ``resolution`` metres (average resampling
    when coarser). A reference in a geographic CRS (lat/lon, SNAP's default output) is
    worked on in the WGS 84 / UTM zone of its centre, with square pixels of the finer
    of its two pixel sides. The secondary is warped onto it on the fly (GDAL warped VRT,
    bilinear; average when coarser), so memory stays bounded by the window read.
    RGB(A) images become luminance (BT.601 weights); alpha bands and no-data values
    become NaN. Arrays are float32 (rows, cols).

    Raises ``ValueError`` if a file cannot be read, has no CRS, has a rotated grid,
    or if the two images do not overlap.
    """

    def __init__(self, ref_path, sec_path, resolution=None):
        self.paths = (ref_path, sec_path)
        self.ref = _open(ref_path, "reference")
        try:
            self.sec = _open(sec_path, "secondary")
        except ValueError:
            self.ref.close()
            raise
        self._vrts = []
        try:
            self._setup(resolution)
        except Exception:
            self.close()
            raise

    def _setup(self, resolution):
        for ds, role in ((self.ref, "reference"), (self.sec, "secondary")):
            if ds.crs is None:
                raise ValueError(f"the {role} image {os.path.basename(ds.name)} has no coordinate "
                                 "reference system; assign one first")
            t = ds.transform
            if t.b != 0 or t.d != 0 or t.e >= 0:
                raise ValueError(f"the {role} image grid is rotated or not north-up; warp it to "
                                 "a north-up grid first")
        t = self.ref.transform
        if self.ref.crs.is_projected:
            self.crs = self.ref.crs
        else:
            # geographic input (SNAP's terrain-correction default is WGS 84 lat/lon):
            # work on the WGS 84 / UTM zone of the scene centre, in metres
            lon, lat = rasterio.warp.transform(self.ref.crs, "EPSG:4326",
                                               [(self.ref.bounds.left + self.ref.bounds.right) / 2],
                                               [(self.ref.bounds.bottom + self.ref.bounds.top) / 2])
            self.crs = rasterio.crs.CRS.from_epsg(utm_epsg(lon[0], lat[0]))
        if self.crs != self.ref.crs:
            dst_t, width, height = rasterio.warp.calculate_default_transform(
                self.ref.crs, self.crs, self.ref.width, self.ref.height, *self.ref.bounds,
                resolution=float(resolution) if resolution else None)
            if not resolution:  # square pixels of the finer side
                res = min(abs(dst_t.a), abs(dst_t.e))
                dst_t, width, height = rasterio.warp.calculate_default_transform(
                    self.ref.crs, self.crs, self.ref.width, self.ref.height, *self.ref.bounds,
                    resolution=res)
            self.transform = dst_t
        elif resolution:
            res = float(resolution)
            width = max(int(round(self.ref.width * abs(t.a) / res)), 1)
            height = max(int(round(self.ref.height * abs(t.e) / res)), 1)
            self.transform = Affine(res, 0, t.c, 0, -res, t.f)
        else:
            width, height = self.ref.width, self.ref.height
            self.transform = t
        self.width, self.height = width, height
        self.pixel = (abs(self.transform.a), abs(self.transform.e))
        # overlap in the work CRS
        sb = rasterio.warp.transform_bounds(self.sec.crs, self.crs, *self.sec.bounds)
        rb = rasterio.warp.transform_bounds(self.ref.crs, self.crs, *self.ref.bounds)
        rb = rasterio.coords.BoundingBox(*rb)
        ix0, iy0 = max(rb.left, sb[0]), max(rb.bottom, sb[1])
        ix1, iy1 = min(rb.right, sb[2]), min(rb.top, sb[3])
        if ix1 <= ix0 or iy1 <= iy0:
            raise ValueError(
                f"the reference {os.path.basename(self.paths[0])} and secondary "
                f"{os.path.basename(self.paths[1])} do not overlap; choose two images of the "
                "same area")
        self.overlap = (ix0, iy0, ix1, iy1)
        self.readers = []
        for ds in (self.ref, self.sec):
            same = (ds.crs == self.crs and ds.width == self.width and ds.height == self.height
                    and ds.transform.almost_equals(self.transform))
            if same:
                self.readers.append(ds)
                continue
            b = rasterio.warp.transform_bounds(ds.crs, self.crs, *ds.bounds)
            coarser = self.pixel[0] > (b[2] - b[0]) / ds.width * 1.01
            data, alpha = _data_bands(ds)
            kw = dict(crs=self.crs, transform=self.transform, width=self.width,
                      height=self.height, dtype="float32", nodata=np.nan,
                      resampling=Resampling.average if coarser else Resampling.bilinear)
            if alpha:
                kw["src_alpha"] = alpha
            elif ds.nodata is not None:
                kw["src_nodata"] = ds.nodata
            vrt = WarpedVRT(ds, **kw)
            self._vrts.append(vrt)
            self.readers.append(vrt)

    def overlap_window(self, margin=0):
        """Window of the work grid covering the overlap of the two images."""
        inv = ~self.transform
        x0, y0, x1, y1 = self.overlap
        c0, r0 = inv * (x0, y1)
        c1, r1 = inv * (x1, y0)
        c0, r0 = max(int(math.floor(c0)) - margin, 0), max(int(math.floor(r0)) - margin, 0)
        c1 = min(int(math.ceil(c1)) + margin, self.width)
        r1 = min(int(math.ceil(r1)) + margin, self.height)
        return Window(c0, r0, max(c1 - c0, 0), max(r1 - r0, 0))

    def _read_one(self, ds, window):
        data, _ = _data_bands(ds.src_dataset if isinstance(ds, WarpedVRT) else ds)
        bands = data[:3] if len(data) >= 3 else data[:1]
        h, w = int(window.height), int(window.width)
        out = np.full((h, w), np.nan, dtype=np.float32)
        r0, c0 = int(window.row_off), int(window.col_off)
        a0, a1 = max(r0, 0), min(r0 + h, self.height)
        b0, b1 = max(c0, 0), min(c0 + w, self.width)
        if a1 <= a0 or b1 <= b0:
            return out
        a = ds.read(bands, window=Window(b0, a0, b1 - b0, a1 - a0), masked=True)
        arr = a.astype(np.float32).filled(np.nan)
        if len(bands) == 3:
            arr = LUMA[0] * arr[0] + LUMA[1] * arr[1] + LUMA[2] * arr[2]
        else:
            arr = arr[0]
        out[a0 - r0:a1 - r0, b0 - c0:b1 - c0] = arr
        return out

    def read(self, window):
        """(reference, secondary) float32 arrays of ``window`` on the work grid, NaN = no data.

        Parts of the window outside the work grid are NaN.
        """
        return tuple(self._read_one(ds, window) for ds in self.readers)

    def tags(self, which):
        ds = self.ref if which == 0 else self.sec
        t = dict(ds.tags())
        t.update(ds.tags(1) or {})
        return t

    def close(self):
        for v in self._vrts:
            v.close()
        self.ref.close()
        self.sec.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def pair_times(alg, parameters, context, ref_path, sec_path):
    """(start, end, Δt days) from the time parameters or the files; ``ValueError`` if Δt ≤ 0."""
    t0 = acquisition_time(ref_path, optional_datetime(alg, parameters, "REFERENCE_TIME", context),
                          "reference")
    t1 = acquisition_time(sec_path, optional_datetime(alg, parameters, "SECONDARY_TIME", context),
                          "secondary")
    dt = (t1 - t0).total_seconds() / 86400.0
    if not dt > 0:
        raise ValueError(
            f"time baseline Δt = {dt:.4f} d: the secondary ({format_time(t1)}) must be acquired "
            f"after the reference ({format_time(t0)}); swap the images or correct the times")
    return t0, t1, dt


def layer_path(alg, parameters, name, context):
    layer = alg.parameterAsRasterLayer(parameters, name, context)
    if layer is not None:
        return layer.source()
    value = parameters.get(name)
    if isinstance(value, str) and value:
        return value
    raise ValueError(f"no {name.lower()} image given")


class SarOffsetTracking(GlacvelAlgorithm):
    """Sentinel-1 GRD amplitude offset tracking (NCC on log amplitude, SNAP-like options)."""

    ALG_ID = "sar_offset_tracking"
    GROUP_ID = "correlation"

    REFERENCE, SECONDARY, INPUT_SCALE = "REFERENCE", "SECONDARY", "INPUT_SCALE"
    REFERENCE_TIME, SECONDARY_TIME = "REFERENCE_TIME", "SECONDARY_TIME"
    WINDOW, OUTPUT_RESOLUTION, STEP, MAX_SPEED = "WINDOW", "OUTPUT_RESOLUTION", "STEP", "MAX_SPEED"
    CC_THRESHOLD, AVERAGE_BOX, FILL_RADIUS = "CC_THRESHOLD", "AVERAGE_BOX", "FILL_RADIUS"
    MEDIAN_TEST, SPECKLE_SIGMA, OUTPUT = "MEDIAN_TEST", "SPECKLE_SIGMA", "OUTPUT"
    PEAK_RATIO = "PEAK_RATIO"

    SCALES = (None, ot.SCALE_POWER, ot.SCALE_AMPLITUDE, ot.SCALE_DB)

    def displayName(self):
        return self.tr("SAR offset tracking (Sentinel-1 GRD)")

    def shortHelpString(self):
        return self.tr(
            "Amplitude offset tracking of two geocoded (terrain-corrected) Sentinel-1 GRD images "
            "of the same track, as in ESA SNAP's Offset Tracking, giving a glacvel velocity "
            "product.\n\n"
            "The backscatter (linear power, linear amplitude or dB; detected from tags, names or "
            "values when set to Detect) is converted to log amplitude and lightly low-passed "
            "against speckle (SPECKLE_SIGMA px). Matching windows of WINDOW px (128 as in the "
            "published chain) centred on nodes every STEP px are matched by normalised "
            "cross-correlation within a search range of MAX_SPEED x time baseline; sub-pixel by "
            "16x oversampling of the correlation peak.\n"
            "Rejected: correlation peak below CC_THRESHOLD (SNAP 0.1), faster than MAX_SPEED, "
            "normalised-median-test outliers (MEDIAN_TEST, 0 = off), and, optionally, a peak ratio "
            "(peak / mean |NCC| over the search area) below PEAK_RATIO. Optional SNAP-like "
            "averaging "
            "over AVERAGE_BOX x AVERAGE_BOX nodes (1 = off; SNAP uses 5) and hole filling within "
            "FILL_RADIUS nodes (0 = off; SNAP uses 4). Both are off by default so that the "
            "product holds measurements only.\n"
            "Output grid: OUTPUT_RESOLUTION m (default 30 m). Nodes every STEP px; STEP 0 = "
            "the output resolution but at least WINDOW/8 px (128 px windows 3 px apart would "
            "overlap by 98 % and only multiply the run time); output cells between nodes are "
            "interpolated bilinearly (flag +4).\n"
            "Bands: v, vx, vy (m/d, x east, y north), dx, dy (m over the baseline), quality (NCC "
            "peak of the measurement; empty for filled cells) and flag: 0 = measurement, "
            "1 = averaged, 2 = hole-filled, +4 = interpolated between nodes. Only flag 0 is a "
            "raw measurement.\n"
            "Times come from REFERENCE_TIME/SECONDARY_TIME or from Sentinel-1 names "
            "(S1A_IW_GRDH_1SDV_YYYYMMDDTHHMMSS_...). Orbit/terrain residual offsets are not "
            "removed: apply a stable-ground correction afterwards.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.REFERENCE, self.tr("Reference (earlier) Sentinel-1 GRD image")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.SECONDARY, self.tr("Secondary (later) Sentinel-1 GRD image")))
        self.addParameter(QgsProcessingParameterEnum(
            self.INPUT_SCALE, self.tr("Backscatter scale"),
            options=[self.tr("Detect from tags, names or values"), self.tr("Linear power"),
                     self.tr("Linear amplitude"), self.tr("dB")], defaultValue=0))
        self.addParameter(QgsProcessingParameterDateTime(
            self.REFERENCE_TIME, self.tr("Reference acquisition time, UTC (empty: from name/tags)"),
            optional=True))
        self.addParameter(QgsProcessingParameterDateTime(
            self.SECONDARY_TIME, self.tr("Secondary acquisition time, UTC (empty: from name/tags)"),
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.WINDOW, self.tr("Matching window (px)"), QgsProcessingParameterNumber.Integer,
            defaultValue=128, minValue=8))
        self.addParameter(QgsProcessingParameterNumber(
            self.OUTPUT_RESOLUTION, self.tr("Output grid resolution (m)"),
            QgsProcessingParameterNumber.Double, defaultValue=30.0, minValue=0.01))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_SPEED, self.tr("Maximum speed (m/d)"), QgsProcessingParameterNumber.Double,
            defaultValue=5.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.CC_THRESHOLD, self.tr("Cross-correlation threshold"),
            QgsProcessingParameterNumber.Double, defaultValue=0.1, minValue=-1.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.AVERAGE_BOX, self.tr("Averaging box (nodes, odd; 1 = off)"),
            QgsProcessingParameterNumber.Integer, defaultValue=1, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            self.FILL_RADIUS, self.tr("Hole-filling radius (nodes; 0 = off)"),
            QgsProcessingParameterNumber.Integer, defaultValue=0, minValue=0))
        adv = [
            QgsProcessingParameterNumber(
                self.STEP, self.tr("Node spacing (px; 0 = auto)"),
                QgsProcessingParameterNumber.Integer, defaultValue=0, minValue=0),
            QgsProcessingParameterNumber(
                self.MEDIAN_TEST, self.tr("Normalised median test threshold (0 = off)"),
                QgsProcessingParameterNumber.Double, defaultValue=2.0, minValue=0.0),
            QgsProcessingParameterNumber(
                self.PEAK_RATIO, self.tr("Minimum peak ratio (peak / mean |NCC|; 0 = off)"),
                QgsProcessingParameterNumber.Double, defaultValue=0.0, minValue=0.0),
            QgsProcessingParameterNumber(
                self.SPECKLE_SIGMA, self.tr("Speckle low-pass sigma (px; 0 = off)"),
                QgsProcessingParameterNumber.Double, defaultValue=0.7, minValue=0.0),
        ]
        for p in adv:
            p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(p)
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT, self.tr("Velocity product")))

    def _scale(self, parameters, context, pair, feedback):
        chosen = self.SCALES[self.parameterAsEnum(parameters, self.INPUT_SCALE, context)]
        if chosen is not None:
            return chosen
        found = []
        for i, ds in enumerate((pair.ref, pair.sec)):
            step = max(1, int(max(ds.width, ds.height) // 256))
            sample = ds.read(1, out_shape=(max(ds.height // step, 1), max(ds.width // step, 1)),
                             masked=True).filled(np.nan)
            # SNAP exports name the band (Sigma0_VV_db) rather than the file
            name = f"{os.path.basename(ds.name)} {ds.descriptions[0] or ''}".strip()
            scale, why = ot.detect_scale(pair.tags(i), name, sample)
            if scale is None:
                raise ValueError("cannot tell the backscatter scale of "
                                 f"{os.path.basename(ds.name)}; set the backscatter scale")
            feedback.pushInfo(self.tr("Backscatter scale of {}: {} ({})").format(
                os.path.basename(ds.name), scale, why))
            found.append(scale)
        if (ot.SCALE_DB in found) and found[0] != found[1]:
            raise ValueError(f"the reference looks {found[0]} and the secondary {found[1]}; "
                             "give both in the same scale or set the backscatter scale")
        return found[0]

    def process(self, parameters, context, feedback):
        ref_path = layer_path(self, parameters, self.REFERENCE, context)
        sec_path = layer_path(self, parameters, self.SECONDARY, context)
        check_sar_input(ref_path, self.REFERENCE)
        check_sar_input(sec_path, self.SECONDARY)
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        window = self.parameterAsInt(parameters, self.WINDOW, context)
        res = self.parameterAsDouble(parameters, self.OUTPUT_RESOLUTION, context)
        step = self.parameterAsInt(parameters, self.STEP, context)
        max_speed = self.parameterAsDouble(parameters, self.MAX_SPEED, context)
        threshold = self.parameterAsDouble(parameters, self.CC_THRESHOLD, context)
        avg_box = self.parameterAsInt(parameters, self.AVERAGE_BOX, context)
        fill_radius = self.parameterAsInt(parameters, self.FILL_RADIUS, context)
        median_test = self.parameterAsDouble(parameters, self.MEDIAN_TEST, context)
        sigma = self.parameterAsDouble(parameters, self.SPECKLE_SIGMA, context)
        peak_ratio = self.parameterAsDouble(parameters, self.PEAK_RATIO, context)
        if avg_box % 2 == 0:
            raise ValueError(f"averaging box {avg_box} must be odd (1 = off, SNAP uses 5)")
        with AlignedPair(ref_path, sec_path) as pair:
            t0, t1, dt = pair_times(self, parameters, context, ref_path, sec_path)
            scale = self._scale(parameters, context, pair, feedback)
            px, py = pair.pixel
            pix = max(px, py)
            search = search_range_px(max_speed, dt, min(px, py))
            if step <= 0:
                step = ot.auto_step(res, pix, window)
            feedback.pushInfo(self.tr("Δt = {:.3f} d; search range ±{} px; node spacing {} px "
                                      "({:.1f} m); window {} px").format(dt, search, step,
                                                                          step * pix, window))
            ow = pair.overlap_window()
            check_search(max_speed, dt, min(px, py), (int(ow.height), int(ow.width)), window)
            if window > min(ow.height, ow.width):
                raise ValueError(
                    f"the matching window ({window} px) is larger than the overlap of the images "
                    f"({int(ow.height)}×{int(ow.width)} px); use a smaller window or larger "
                    "images")
            half = window // 2
            node_rows = np.arange(ow.row_off + half,
                                  ow.row_off + ow.height - (window - half) + 1, step)
            node_cols = np.arange(ow.col_off + half,
                                  ow.col_off + ow.width - (window - half) + 1, step)
            nr, nc = len(node_rows), len(node_cols)
            # tiles of nodes covering ~1024 px a side: each read holds two tiles of
            # (1024 + window + 2·search)² px, whatever the scene size
            n_tile = max(1, 1024 // max(step, 1))
            tiles = [(a, b) for a in range(0, nr, n_tile) for b in range(0, nc, n_tile)]
            fields = {f: np.full((nr, nc), np.nan) for f in ("dr", "dc", "peak", "snr")}
            status = np.full((nr, nc), 1, dtype=np.int8)
            progress, is_canceled = callbacks(feedback, 0, 90)
            for k, (a, b) in enumerate(tiles):
                check_canceled(feedback)
                rows, cols = node_rows[a:a + n_tile], node_cols[b:b + n_tile]
                r_lo = int(rows[0]) - half - search
                r_hi = int(rows[-1]) - half + window + search
                c_lo = int(cols[0]) - half - search
                c_hi = int(cols[-1]) - half + window + search
                ref_t, sec_t = pair.read(Window(c_lo, r_lo, c_hi - c_lo, r_hi - r_lo))
                res_t = ot.track_nodes(ref_t, sec_t, rows - r_lo, cols - c_lo, window, search,
                                       scale=scale, speckle_sigma=sigma, is_canceled=is_canceled,
                                       progress=lambda f, k=k: progress((k + f) / len(tiles)))
                sl = (slice(a, a + n_tile), slice(b, b + n_tile))
                shp = (len(rows), len(cols))
                for f in fields:
                    fields[f][sl] = getattr(res_t, f).reshape(shp)
                status[sl] = res_t.status.reshape(shp)
                progress((k + 1) / len(tiles))
            merged = MatchResult(*(fields[f].ravel() for f in ("dr", "dc", "peak", "snr")),
                                 status.ravel())
            n_ok = int(np.count_nonzero(merged.status == 0))
            if n_ok == 0:
                raise ValueError(
                    "no window could be matched: the images are empty (no data), constant or do "
                    "not share texture in their overlap; check the inputs, the times and "
                    "MAX_SPEED")
            nf = ot.postprocess_nodes(merged, (nr, nc), threshold=threshold,
                                      max_offset_px=max_speed * dt / min(px, py),
                                      median_test=median_test, average_box=avg_box,
                                      fill_radius=fill_radius, min_peak_ratio=peak_ratio)
            for k, v in nf.rejected.items():
                feedback.pushInfo(self.tr("Rejected ({}): {} of {} nodes").format(k, v, nr * nc))
            check_canceled(feedback)
            # output grid: cell (0, 0) centred on node (0, 0)
            # centre of the window spanning pixels n - half .. n - half + window - 1
            centre = window / 2.0 - half
            x_n0, y_n0 = pair.transform * (node_cols[0] + centre, node_rows[0] + centre)
            span_x = (node_cols[-1] - node_cols[0]) * px
            span_y = (node_rows[-1] - node_rows[0]) * py
            out_cols = int(math.floor(span_x / res + 1e-9)) + 1
            out_rows = int(math.floor(span_y / res + 1e-9)) + 1
            transform = Affine(res, 0, x_n0 - res / 2, 0, -res, y_n0 + res / 2)
            yy, xx = np.mgrid[0:out_rows, 0:out_cols]
            fr = yy * res / (step * py)
            fc = xx * res / (step * px)
            grid, flag = ot.resample_nodes({"dr": nf.dr, "dc": nf.dc, "quality": nf.peak},
                                           nf.flag, fr, fc)
            dxm = grid["dc"] * px
            dym = -grid["dr"] * py
            vx, vy = dxm / dt, dym / dt
            quality = np.where(flag >= 0, grid["quality"], np.nan)
            quality[(flag >= 0) & ((flag & ot.FLAG_FILLED) > 0)] = np.nan
            bands = {"v": np.hypot(vx, vy), "vx": vx, "vy": vy, "dx": dxm, "dy": dym,
                     "quality": quality, "flag": np.where(flag >= 0, flag, np.nan)}
            info = scene_info(ref_path)
            tags = standard_tags(
                info.sensor or "S1", t0, t1, "sar_offset_tracking: NCC of log amplitude",
                WINDOW=window, STEP=step, SEARCH_PX=search, MAX_SPEED=max_speed,
                INPUT_SCALE=scale, CC_THRESHOLD=threshold, AVERAGE_BOX=avg_box,
                FILL_RADIUS=fill_radius, MEDIAN_TEST=median_test, PEAK_RATIO=peak_ratio,
                SPECKLE_SIGMA=sigma,
                OVERSAMPLE=16, REFERENCE=os.path.basename(ref_path),
                SECONDARY=os.path.basename(sec_path),
                FLAG_VALUES="0=measurement,1=averaged,2=hole-filled,+4=interpolated between nodes",
                MEASURED_NODES=int(np.count_nonzero(nf.flag == ot.FLAG_MEASURED)),
                FILLED_NODES=int(np.count_nonzero(nf.flag == ot.FLAG_FILLED)))
            band_tags = {"v": {"UNITS": "m/d"}, "vx": {"UNITS": "m/d"}, "vy": {"UNITS": "m/d"},
                         "dx": {"UNITS": "m"}, "dy": {"UNITS": "m"},
                         "quality": {"DESCRIPTION": "NCC peak"},
                         "flag": {"DESCRIPTION": tags["FLAG_VALUES"]}}
            check_canceled(feedback)
            write_product(out_path, bands, transform, pair.crs, tags, band_tags=band_tags,
                          protect=[ref_path, sec_path])
            feedback.setProgress(100)
        return {self.OUTPUT: out_path}


ALGORITHMS = [SarOffsetTracking]
