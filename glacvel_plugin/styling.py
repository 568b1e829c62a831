"""Styling of glacvel outputs in QGIS: velocity and error ramps, arrows, months, groups.

* Velocity layers (a product with band ``v``, m/d) get a
  :class:`QgsSingleBandPseudoColorRenderer` on band ``v`` (found by its GDAL band
  description, never by position) with a perceptually uniform ramp from
  ``QgsStyle.defaultStyle()`` (Viridis by default, or Magma), linear from 0 to the
  98th percentile of the valid speeds, and ``m/d`` in the legend. Perceptually
  uniform ramps and linear 0–~1 m/d scales are the convention of the ITS_LIVE and
  GLAFT maps (never a rainbow "jet" ramp).
* Error layers (band ``v_error``, m/d, and products that only hold errors) get the
  Magma ramp (Inferno when the velocity itself uses Magma), 0 to their own 98th percentile.
* Arrows: a memory point layer on a subsampled grid (block means of ``vx``/``vy``)
  drawn with :class:`QgsVectorFieldSymbolLayer` in Cartesian mode with an arrow line
  sub-symbol. Product ``vy`` is north-positive, and so is the symbol layer's
  y attribute (QGIS draws ``y − vy·scale`` in screen rows), so no sign flip is needed.
  Arrows below 2 × the stable-ground NMAD are left out; a labelled scale arrow and the
  legend give the arrow length. Loaded arrows sit directly above their raster.
* Layer names: sensor and dates of the product (``L8 2016-07-18 → 2016-08-03``) or the
  month (``201607``).
* Monthly layers named ``YYYYMM`` get a fixed temporal range = that calendar month,
  so the Temporal Controller steps through the year.
* Layers of one run are collected in a layer-tree group.
* :class:`GlacvelLayerPostProcessor` names, styles, labels and adds arrows to
  Processing outputs when they load (Processing's loader ignores sidecar ``.qml``
  files); every glacvel algorithm attaches one in ``postProcessAlgorithm``. Instances are kept in a
  module-level list: QGIS holds only a raw pointer and would otherwise see a deleted
  object.
"""
from __future__ import annotations

import math
import os
import re
from typing import Iterable, List, Optional

import numpy as np
from qgis.core import (QgsArrowSymbolLayer, QgsColorRampShader, QgsDateTimeRange, QgsFeature,
                       QgsField, QgsFields, QgsGeometry, QgsLayerTreeGroup, QgsLineSymbol,
                       QgsMarkerSymbol, QgsPointXY, QgsProcessingLayerPostProcessorInterface,
                       QgsProject, QgsRasterBandStats, QgsRasterLayer,
                       QgsRasterLayerTemporalProperties, QgsRasterShader,
                       QgsSingleBandPseudoColorRenderer, QgsSingleSymbolRenderer, QgsStyle,
                       QgsUnitTypes, QgsVectorFieldSymbolLayer, QgsVectorLayer)
from qgis.PyQt.QtCore import QDate, QDateTime, QTime, Qt, QVariant
from qgis.PyQt.QtGui import QColor

from .i18n import translate
from .io.info import (block_mean_components, median_band_value, raster_band_descriptions,
                      raster_tags)

VELOCITY_RAMP = "Viridis"
"""Default ramp of speed layers (``QgsStyle`` default-style name)."""
ERROR_RAMP = "Magma"
"""Default ramp of error layers."""
PERCENTILE = 98.0
"""Upper end of the colour scale: this percentile of the valid values."""
UNITS = "m/d"

_MONTH_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(?!\d)")
_POSTPROCESSORS: List["GlacvelLayerPostProcessor"] = []


# --------------------------------------------------------------------------- bands
def band_names(layer: QgsRasterLayer) -> List[str]:
    """Band descriptions of a raster layer (GDAL descriptions, e.g. ``['v', 'vx', ...]``).

    Read from the file (:func:`glacvel_plugin.io.info.raster_band_descriptions`) when the
    layer is a readable file; otherwise parsed from QGIS's band names (``"Band 1: v"``).

    Parameters
    ----------
    layer : qgis.core.QgsRasterLayer
        The layer.

    Returns
    -------
    list of str
        One per band; ``band<i>`` for bands without a description.
    """
    src = layer.source()
    if os.path.exists(src):
        try:
            return raster_band_descriptions(src)
        except Exception:  # not a readable raster file: fall back to QGIS's names
            pass
    out = []
    for i in range(1, layer.bandCount() + 1):
        name = layer.bandName(i)
        out.append(name.split(": ", 1)[1] if ": " in name else f"band{i}")
    return out


def find_band(layer: QgsRasterLayer, name: str) -> Optional[int]:
    """Number of the band with a given description.

    Parameters
    ----------
    layer : qgis.core.QgsRasterLayer
        The layer.
    name : str
        Band description (``"v"``).

    Returns
    -------
    int or None
        1-based band number; None when no band has that description.
    """
    names = band_names(layer)
    return names.index(name) + 1 if name in names else None


def band_values(layer: QgsRasterLayer, band: int, max_size: int = 1024) -> np.ndarray:
    """Valid values of one band, sampled.

    Large rasters are sampled on a grid of at most ``max_size`` × ``max_size``
    (provider resampling), enough for a percentile of the colour scale.

    Parameters
    ----------
    layer : qgis.core.QgsRasterLayer
        The layer.
    band : int
        1-based band number.
    max_size : int, default 1024
        Largest side of the sample (px).

    Returns
    -------
    ndarray
        float64 (n,): finite values, no data and -9999 removed; empty for an
        unsupported data type.
    """
    prov = layer.dataProvider()
    w, h = layer.width(), layer.height()
    f = max(1.0, max(w, h) / float(max_size))
    bw, bh = max(1, int(w / f)), max(1, int(h / f))
    block = prov.block(band, layer.extent(), bw, bh)
    dtypes = {1: np.uint8, 2: np.uint16, 3: np.int16, 4: np.uint32, 5: np.int32,
              6: np.float32, 7: np.float64}
    dt = dtypes.get(int(block.dataType()))
    if dt is None:
        return np.array([], dtype=np.float64)
    a = np.frombuffer(bytes(block.data()), dtype=dt).astype(np.float64)
    a = a[: bw * bh]
    if block.hasNoDataValue():
        a = a[a != block.noDataValue()]
    a = a[np.isfinite(a) & (a != -9999.0)]
    return a


def percentile_range(layer: QgsRasterLayer, band: int, pct: float = PERCENTILE) -> float:
    """Upper end of a colour scale: a percentile of the absolute values of a band.

    Parameters
    ----------
    layer : qgis.core.QgsRasterLayer
        The layer.
    band : int
        1-based band number.
    pct : float, default PERCENTILE
        Percentile (98).

    Returns
    -------
    float
        The percentile of |values| (the band maximum when no value was sampled), at
        least 1e-6.
    """
    a = np.abs(band_values(layer, band))
    if a.size == 0:
        st = layer.dataProvider().bandStatistics(band, QgsRasterBandStats.Max)
        return max(float(st.maximumValue), 1e-6)
    return max(float(np.percentile(a, pct)), 1e-6)


# --------------------------------------------------------------------------- ramps
def _nice_step(vmax: float) -> int:
    """Decimals for legend labels so that values near ``vmax`` show 2–3 digits."""
    return max(0, min(4, 2 - int(math.floor(math.log10(vmax))))) if vmax > 0 else 2


def pseudocolor_renderer(layer: QgsRasterLayer, band: int, ramp_name: str, vmax: float,
                         classes: int = 6, vmin: float = 0.0) -> QgsSingleBandPseudoColorRenderer:
    """A linear pseudocolour renderer with a ``QgsStyle`` ramp and labels in m/d.

    Parameters
    ----------
    layer : qgis.core.QgsRasterLayer
        The layer.
    band : int
        1-based band number.
    ramp_name : str
        Ramp of the QGIS default style (``"Viridis"``, ``"Magma"``).
    vmax : float
        Upper end of the scale (m/d).
    classes : int, default 6
        Legend entries.
    vmin : float, default 0.0
        Lower end of the scale (m/d).

    Returns
    -------
    qgis.core.QgsSingleBandPseudoColorRenderer
        Not yet set on the layer.

    Raises
    ------
    ValueError
        When the ramp is not in the QGIS default style.
    """
    ramp = QgsStyle.defaultStyle().colorRamp(ramp_name)
    if ramp is None:
        raise ValueError(f"colour ramp {ramp_name!r} is not in the QGIS default style")
    crs_shader = QgsColorRampShader(vmin, vmax, ramp, QgsColorRampShader.Interpolated)
    crs_shader.setClassificationMode(QgsColorRampShader.EqualInterval)
    dec = _nice_step(vmax)
    items = []
    for i in range(classes):
        val = vmin + (vmax - vmin) * i / (classes - 1)
        col = ramp.color(i / (classes - 1))
        items.append(QgsColorRampShader.ColorRampItem(val, col, f"{val:.{dec}f} {UNITS}"))
    crs_shader.setColorRampItemList(items)
    crs_shader.setClip(False)
    try:
        settings = crs_shader.legendSettings()
        settings.setSuffix(f" {UNITS}")
        settings.setUseContinuousLegend(True)
        from qgis.core import QgsBasicNumericFormat
        fmt = QgsBasicNumericFormat()
        fmt.setNumberDecimalPlaces(dec)
        fmt.setShowTrailingZeros(True)
        settings.setNumericFormat(fmt)
        crs_shader.setLegendSettings(settings)
    except AttributeError:  # pragma: no cover - QGIS < 3.18
        pass
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(crs_shader)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), band, shader)
    renderer.setClassificationMin(vmin)
    renderer.setClassificationMax(vmax)
    return renderer


def style_velocity(layer: QgsRasterLayer, ramp_name: str = VELOCITY_RAMP,
                   vmax: Optional[float] = None, band_name: str = "v") -> QgsSingleBandPseudoColorRenderer:
    """Style a velocity product on one band, 0 → 98th percentile.

    Parameters
    ----------
    layer : qgis.core.QgsRasterLayer
        A velocity product layer.
    ramp_name : str, default VELOCITY_RAMP
        Ramp of the QGIS default style.
    vmax : float, optional
        Upper end of the scale (m/d); default the 98th percentile of the band.
    band_name : str, default "v"
        Band description.

    Returns
    -------
    qgis.core.QgsSingleBandPseudoColorRenderer
        The renderer set on the layer (custom property ``glacvel/style`` =
        ``velocity``).

    Raises
    ------
    ValueError
        When the layer has no such band (names the bands present).
    """
    band = find_band(layer, band_name)
    if band is None:
        raise ValueError(f"layer {layer.name()} has no band '{band_name}' (bands: "
                         f"{', '.join(band_names(layer))}); it is not a glacvel velocity product")
    vmax = percentile_range(layer, band) if vmax is None else float(vmax)
    r = pseudocolor_renderer(layer, band, ramp_name, vmax)
    layer.setRenderer(r)
    layer.setCustomProperty("glacvel/style", "velocity")
    layer.triggerRepaint()
    return r


def style_error(layer: QgsRasterLayer, ramp_name: str = ERROR_RAMP, vmax: Optional[float] = None,
                band_name: str = "v_error") -> QgsSingleBandPseudoColorRenderer:
    """Style the error band (``v_error``, m/d) with its own ramp, 0 → 98th percentile.

    Parameters
    ----------
    layer : qgis.core.QgsRasterLayer
        A product layer with an error band.
    ramp_name : str, default ERROR_RAMP
        Ramp of the QGIS default style.
    vmax : float, optional
        Upper end of the scale (m/d); default the 98th percentile of the band.
    band_name : str, default "v_error"
        Band description.

    Returns
    -------
    qgis.core.QgsSingleBandPseudoColorRenderer
        The renderer set on the layer (``glacvel/style`` = ``error``).

    Raises
    ------
    ValueError
        When the layer has no such band.
    """
    r = style_velocity(layer, ramp_name, vmax, band_name)
    layer.setCustomProperty("glacvel/style", "error")
    return r


# --------------------------------------------------------------------------- names
def product_tags(path: str) -> dict:
    """GDAL dataset tags of a product file.

    Parameters
    ----------
    path : str
        The file.

    Returns
    -------
    dict
        Empty when it cannot be read.
    """
    return raster_tags(path)


def product_name(path: str, fallback: Optional[str] = None) -> str:
    """Layer name of a product: ``YYYYMM`` for monthly files, else sensor and dates.

    ``201607.tif`` → ``201607``; a pair product tagged SENSOR=L8, START_TIME
    2016-07-18…, END_TIME 2016-08-03… → ``L8 2016-07-18 → 2016-08-03``. Fused products
    (those with a SOURCES tag: SENSOR=FUSED, or a single sensor's fusion, SENSOR=L8)
    name their sources: ``fused L8+S2 2018-03-04 → 2018-04-05``, ``fused L8 …``.

    Parameters
    ----------
    path : str
        The product file (a layer source; ``|`` options are ignored).
    fallback : str, optional
        Name of files without a month or dates; default the file name without
        extension.

    Returns
    -------
    str
    """
    src = (path or "").split("|")[0]
    stem = os.path.splitext(os.path.basename(src))[0]
    if re.fullmatch(r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])", stem):
        return stem
    tags = product_tags(src)
    start, end = tags.get("START_TIME", "")[:10], tags.get("END_TIME", "")[:10]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", start) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", end):
        sensor = tags.get("SENSOR") or tags.get("SOURCES") or ""
        if sensor.upper() == "FUSED" or tags.get("SOURCES"):
            sources = "+".join(x.strip() for x in tags.get("SOURCES", "").split(",") if x.strip())
            sensor = translate("styling", "fused {}").format(sources).strip()
        return f"{sensor} {start} → {end}".strip()
    return fallback or stem


# --------------------------------------------------------------------------- months
def month_of(text: str):
    """The first ``YYYYMM`` month in a layer or file name.

    Parameters
    ----------
    text : str
        A name or path (its base name is searched; 1900–2099, months 01–12).

    Returns
    -------
    (int, int) or None
        (year, month); None when there is none.
    """
    m = _MONTH_RE.search(os.path.basename(text or ""))
    return (int(m.group(1)), int(m.group(2))) if m else None


def month_range(year: int, month: int) -> QgsDateTimeRange:
    """The calendar month as a temporal range: first day 00:00 UTC to the first day of the next month.

    Both ends are flagged exclusive: QGIS 3.22's ``QgsTemporalRange.overlaps`` counts
    a layer whose beginning equals a frame's (exclusive) end as overlapping, which
    would show two months in one Temporal Controller frame. With exclusive ends each
    monthly frame shows exactly its month, and daily frames still see the month.

    Parameters
    ----------
    year, month : int
        The month.

    Returns
    -------
    qgis.core.QgsDateTimeRange
    """
    start = QDateTime(QDate(year, month, 1), QTime(0, 0, 0), Qt.UTC)
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    end = QDateTime(QDate(ny, nm, 1), QTime(0, 0, 0), Qt.UTC)
    return QgsDateTimeRange(start, end, False, False)


def set_month_range(layer: QgsRasterLayer, name: Optional[str] = None) -> Optional[QgsDateTimeRange]:
    """Give a monthly ``YYYYMM`` layer a fixed temporal range = its calendar month.

    Parameters
    ----------
    layer : qgis.core.QgsRasterLayer
        The layer.
    name : str, optional
        Where to find the month; default the layer's file name, else the layer name.

    Returns
    -------
    qgis.core.QgsDateTimeRange or None
        The range set; None (and the layer left alone) when no month is found.
    """
    ym = month_of(name) if name else None
    ym = ym or month_of(layer.source().split("|")[0]) or month_of(layer.name())
    if ym is None:
        return None
    rng = month_range(*ym)
    tp = layer.temporalProperties()
    tp.setMode(QgsRasterLayerTemporalProperties.ModeFixedTemporalRange)
    tp.setFixedTemporalRange(rng)
    tp.setIsActive(True)
    return rng


# --------------------------------------------------------------------------- arrows
def arrow_symbol(scale: float, color: QColor = QColor(20, 20, 20)) -> QgsMarkerSymbol:
    """Marker symbol: a Cartesian vector field of fields ``vx``, ``vy`` (north-positive).

    Product ``vy`` is north-positive, and so is the symbol layer's y attribute, so no
    sign flip is needed.

    Parameters
    ----------
    scale : float
        Multiplies the speed (m/d) into an arrow length in map units (m).
    color : QColor, default dark grey
        Arrow colour.

    Returns
    -------
    qgis.core.QgsMarkerSymbol
    """
    vf = QgsVectorFieldSymbolLayer()
    vf.setXAttribute("vx")
    vf.setYAttribute("vy")
    vf.setVectorFieldType(QgsVectorFieldSymbolLayer.Cartesian)
    vf.setScale(scale)
    vf.setDistanceUnit(QgsUnitTypes.RenderMapUnits)
    arrow = QgsArrowSymbolLayer()
    arrow.setIsCurved(False)
    arrow.setIsRepeated(False)
    arrow.setArrowWidth(0.25)
    arrow.setArrowStartWidth(0.25)
    arrow.setHeadLength(1.2)
    arrow.setHeadThickness(0.9)
    arrow.setArrowType(QgsArrowSymbolLayer.ArrowPlain)
    arrow.setHeadType(QgsArrowSymbolLayer.HeadSingle)
    fill = arrow.subSymbol()
    fill.setColor(color)
    line = QgsLineSymbol()
    line.changeSymbolLayer(0, arrow)
    vf.setSubSymbol(line)
    sym = QgsMarkerSymbol()
    sym.changeSymbolLayer(0, vf)
    return sym


ARROW_NOISE_FACTOR = 2.0
"""Arrows are drawn only where the speed exceeds this many times the noise level."""
SHORT_ARROW_FRACTION = 0.05
"""Without a noise level, arrows slower than this fraction of the 98th-percentile speed
(shorter than their own head, so drawn as dots) are left out."""


def arrow_threshold(product_path: str, factor: float = ARROW_NOISE_FACTOR):
    """Speed (m/d) below which a product's arrows are noise.

    The noise level is, in this order of preference:

    * ``'nmad'``: √(NMAD_vx² + NMAD_vy²), the magnitude of the noise vector on stable
      ground, from the tags of ``glacvel:stable_ground_error`` (``SE_NMAD_VX/VY``) or
      ``glacvel:stable_ground_correction`` (``SG_HELDOUT_NMAD_VX/VY``, held-out pixels);
    * ``'v_error'``: the median of the product's ``v_error`` band (fused and monthly
      products carry the propagated uncertainty there, not stable-ground tags).

    Velocities in m/yr are converted to m/d (an unknown unit is taken as m/d).

    Parameters
    ----------
    product_path : str
        A velocity product file.
    factor : float, default ARROW_NOISE_FACTOR
        Multiple of the noise level (2).

    Returns
    -------
    threshold : float
        ``factor × noise`` (m/d); 0.0 when the product has no noise level.
    noise : float or None
        The noise level (m/d).
    basis : {"nmad", "v_error"} or None
        Where it came from.
    """
    from .io.grid import units_factor
    tags = product_tags(product_path)
    try:
        f = units_factor(tags.get("UNITS"), os.path.basename(product_path))
    except ValueError:
        f = 1.0
    for kx, ky in (("SE_NMAD_VX", "SE_NMAD_VY"), ("SG_HELDOUT_NMAD_VX", "SG_HELDOUT_NMAD_VY")):
        try:
            nx, ny = float(tags[kx]) * f, float(tags[ky]) * f
        except (KeyError, ValueError):
            continue
        if math.isfinite(nx) and math.isfinite(ny):
            noise = math.hypot(nx, ny)
            return factor * noise, noise, "nmad"
    median = median_band_value(product_path, "v_error")
    if median is not None:
        noise = median * f
        return factor * noise, noise, "v_error"
    return 0.0, None, None


def _nice_length(v: float) -> float:
    """A round speed (1, 2 or 5 × 10^k) close to ``v`` for the arrow-length scale."""
    if not v > 0:
        return 1.0
    k = math.floor(math.log10(v))
    m = v / 10 ** k
    return (1 if m < 1.5 else 2 if m < 3.5 else 5 if m < 7.5 else 10) * 10 ** k


def arrows_layer(product_path: str, step: Optional[int] = None, target_arrows: int = 35,
                 name: Optional[str] = None, min_speed: Optional[float] = None,
                 scale_arrow: bool = True) -> QgsVectorLayer:
    """Memory point layer of flow arrows from a product's ``vx``/``vy`` bands.

    The grid is subsampled every ``step`` pixels; each point carries the block mean of
    ``vx``, ``vy`` (m/d, north-positive) and ``v`` = √(vx² + vy²), at the block centre
    in the product CRS. Blocks without valid data, or slower than ``min_speed``, get no
    arrow. The arrow length of the 98th-percentile speed is 90 % of the spacing. The
    threshold and the scale speed are in the layer's custom properties
    ``glacvel/min_speed`` and ``glacvel/scale_speed`` and in the legend text
    (``glacvel/legend``).

    Parameters
    ----------
    product_path : str
        A velocity product file (bands found by description).
    step : int, optional
        Block side (px); default about ``target_arrows`` blocks across the longer side.
    target_arrows : int, default 35
        Arrows across the longer side when ``step`` is None.
    name : str, optional
        Layer name; default "flow arrows" (translated).
    min_speed : float, optional
        Slowest speed drawn (m/d); None = :func:`arrow_threshold` (2 × the stable-ground
        NMAD, else 2 × the median ``v_error``), else :data:`SHORT_ARROW_FRACTION` of the
        98th-percentile speed, so stable ground is not a field of dots.
    scale_arrow : bool, default True
        Add one east-pointing arrow of a round speed (field ``scale`` = 1, labelled
        e.g. ``10 m/d``) below the lower-left corner: the arrow-length scale.

    Returns
    -------
    qgis.core.QgsVectorLayer
        Memory point layer with fields ``vx``, ``vy``, ``v``, ``scale``, ``label``, not
        added to a project.

    Raises
    ------
    ValueError
        If the product has no ``vx``/``vy`` bands.
    """
    basis = None
    auto = min_speed is None
    if auto:
        min_speed, _, basis = arrow_threshold(product_path)
    vx, vy, tr, crs_wkt, left, bottom, step = block_mean_components(product_path, step,
                                                                    target_arrows)
    v = np.hypot(vx, vy)
    if basis is None and auto and np.isfinite(v).any():
        # no noise estimate (a raw pair product): leave out arrows shorter than their head
        min_speed = SHORT_ARROW_FRACTION * float(np.nanpercentile(v, PERCENTILE))
        basis = "p98"
    ok = np.isfinite(v) & (v >= min_speed)
    layer = QgsVectorLayer("Point", name or translate("styling", "flow arrows"), "memory")
    from qgis.core import QgsCoordinateReferenceSystem
    layer.setCrs(QgsCoordinateReferenceSystem.fromWkt(crs_wkt))
    fields = QgsFields()
    for f in ("vx", "vy", "v"):
        fields.append(QgsField(f, QVariant.Double))
    fields.append(QgsField("scale", QVariant.Int))
    fields.append(QgsField("label", QVariant.String))
    prov = layer.dataProvider()
    prov.addAttributes(fields)
    layer.updateFields()
    feats = []
    rows, cols = np.nonzero(ok)
    for r, c in zip(rows, cols):
        x, y = tr * (c + 0.5, r + 0.5)
        f = QgsFeature(layer.fields())
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x, y)))
        f.setAttributes([float(vx[r, c]), float(vy[r, c]), float(v[r, c]), 0, None])
        feats.append(f)
    spacing = min(abs(tr.a), abs(tr.e))
    vref = float(np.percentile(v[ok], PERCENTILE)) if ok.any() else 1.0
    scale = 0.9 * spacing / max(vref, 1e-6)
    ref_speed = _nice_length(vref)
    unit = translate("styling", "m/d")
    if scale_arrow:
        f = QgsFeature(layer.fields())
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(left + 0.5 * spacing,
                                                         bottom - 0.5 * spacing)))
        f.setAttributes([float(ref_speed), 0.0, float(ref_speed), 1,
                         f"{ref_speed:g} {unit}"])
        feats.append(f)
    prov.addFeatures(feats)
    layer.updateExtents()
    layer.setRenderer(QgsSingleSymbolRenderer(arrow_symbol(scale)))
    if scale_arrow:
        _label_scale_arrow(layer)
    length = ref_speed * scale
    length = f"{length / 1000:.1f} km" if length >= 1000 else f"{length:.0f} m"
    legend = translate("styling", "arrows: {} {} = {}").format(f"{ref_speed:g}", unit, length)
    if min_speed > 0:
        legend += "; " + translate("styling", "none below {} {}").format(
            f"{min_speed:.2g}", unit)
        if basis == "nmad":
            legend += " " + translate("styling", "(2 × stable-ground NMAD)")
        elif basis == "v_error":
            legend += " " + translate("styling", "(2 × median v_error)")
        elif basis == "p98":
            legend += " " + translate("styling", "(5 % of the 98th-percentile speed)")
    layer.renderer().symbol().setColor(QColor(20, 20, 20))
    layer.setCustomProperty("glacvel/style", "arrows")
    layer.setCustomProperty("glacvel/arrow_scale", scale)
    layer.setCustomProperty("glacvel/min_speed", float(min_speed))
    layer.setCustomProperty("glacvel/scale_speed", float(ref_speed))
    layer.setCustomProperty("glacvel/legend", legend)
    return layer


def _label_scale_arrow(layer):
    """Label the scale arrow (feature with ``scale`` = 1) with its speed."""
    from qgis.core import (QgsPalLayerSettings, QgsTextFormat, QgsTextBufferSettings,
                           QgsVectorLayerSimpleLabeling)
    pal = QgsPalLayerSettings()
    pal.fieldName = "label"
    pal.placement = QgsPalLayerSettings.OverPoint
    try:
        pal.quadOffset = QgsPalLayerSettings.QuadrantBelowRight
    except AttributeError:  # pragma: no cover
        pass
    fmt = QgsTextFormat()
    fmt.setSize(9)
    buf = QgsTextBufferSettings()
    buf.setEnabled(True)
    buf.setSize(0.8)
    buf.setColor(QColor(255, 255, 255))
    fmt.setBuffer(buf)
    pal.setFormat(fmt)
    layer.setLabeling(QgsVectorLayerSimpleLabeling(pal))
    layer.setLabelsEnabled(True)


# --------------------------------------------------------------------------- dispatch
def style_layer(layer, ramp_name: str = VELOCITY_RAMP) -> Optional[str]:
    """Style any glacvel raster output.

    Band ``v`` → velocity ramp; else band ``v_error`` → error ramp; plus the monthly
    temporal range when the name holds ``YYYYMM``. Other layers are left unchanged.

    Parameters
    ----------
    layer : qgis.core.QgsMapLayer
        Any layer; invalid and non-raster layers are left alone.
    ramp_name : str, default VELOCITY_RAMP
        Ramp of velocity layers.

    Returns
    -------
    {"velocity", "error"} or None
        The style applied.
    """
    if not isinstance(layer, QgsRasterLayer) or not layer.isValid():
        return None
    names = band_names(layer)
    kind = None
    if "v" in names:
        style_velocity(layer, ramp_name)
        kind = "velocity"
    elif "v_error" in names:
        style_error(layer)
        kind = "error"
    if kind is not None:
        set_month_range(layer)
    return kind


def run_group(name: str, project: Optional[QgsProject] = None) -> QgsLayerTreeGroup:
    """The layer-tree group of a run, created on top of the tree if missing.

    Parameters
    ----------
    name : str
        Group name.
    project : qgis.core.QgsProject, optional
        Default the current project.

    Returns
    -------
    qgis.core.QgsLayerTreeGroup
    """
    project = project or QgsProject.instance()
    root = project.layerTreeRoot()
    group = root.findGroup(name)
    if group is None:
        group = root.insertGroup(0, name)
    return group


def add_to_group(layer, group_name: str, project: Optional[QgsProject] = None,
                 above=None):
    """Add a layer to the project inside the run group (moves it if already loaded).

    New layers go to the bottom of the group, or directly above the layer ``above``
    (a layer in the same group) when given: arrows then draw over their raster.

    Parameters
    ----------
    layer : qgis.core.QgsMapLayer
        The layer.
    group_name : str
        The run group (:func:`run_group`).
    project : qgis.core.QgsProject, optional
        Default the current project.
    above : qgis.core.QgsMapLayer, optional
        Layer of the group to insert above.
    """
    project = project or QgsProject.instance()
    group = run_group(group_name, project)
    root = project.layerTreeRoot()
    index = -1
    if above is not None:
        target = group.findLayer(above.id())
        if target is not None:
            index = group.children().index(target)
    if project.mapLayer(layer.id()) is None:
        project.addMapLayer(layer, False)
        if index >= 0:
            group.insertLayer(index, layer)
        else:
            group.addLayer(layer)
        return
    node = root.findLayer(layer.id())
    if node is not None and node.parent() is not group:
        clone = node.clone()
        group.insertChildNode(index if index >= 0 else 0, clone)
        node.parent().removeChildNode(node)


def add_above(layer, above, project: Optional[QgsProject] = None):
    """Add a layer to the project directly above an already loaded layer.

    Parameters
    ----------
    layer : qgis.core.QgsMapLayer
        The new layer.
    above : qgis.core.QgsMapLayer or None
        The loaded layer (in its group); when it is not in the layer tree, ``layer``
        goes on top of the tree.
    project : qgis.core.QgsProject, optional
        Default the current project.
    """
    project = project or QgsProject.instance()
    project.addMapLayer(layer, False)
    node = project.layerTreeRoot().findLayer(above.id()) if above is not None else None
    parent = node.parent() if node is not None else project.layerTreeRoot()
    index = parent.children().index(node) if node is not None else 0
    parent.insertLayer(index, layer)


def label_legend(layer, project: Optional[QgsProject] = None) -> bool:
    """Replace the band-name legend entry (``Band 1: v (Gray)``) by ``speed (m/d)``.

    Arrows layers get their scale and threshold text (``glacvel/legend``) instead.
    The label is a user label of the layer's node in the project's layer tree, so
    the layers panel and print-layout legends show it.

    Parameters
    ----------
    layer : qgis.core.QgsMapLayer
        A layer styled by this module (custom property ``glacvel/style``).
    project : qgis.core.QgsProject, optional
        Default the current project.

    Returns
    -------
    bool
        True when a label was set (a layer in the tree, styled velocity or error with
        at least two bands, or arrows).
    """
    from qgis.core import QgsMapLayerLegendUtils
    project = project or QgsProject.instance()
    node = project.layerTreeRoot().findLayer(layer.id())
    kind = layer.customProperty("glacvel/style")
    if node is None:
        return False
    if kind == "arrows" and layer.customProperty("glacvel/legend"):
        text = layer.customProperty("glacvel/legend")
    elif kind in ("velocity", "error") and layer.bandCount() >= 2:
        text = translate("styling", "speed (m/d)") if kind == "velocity" else \
            translate("styling", "speed error (m/d)")
    else:
        return False
    QgsMapLayerLegendUtils.setLegendNodeUserLabel(node, 0, text)
    try:  # the layers panel rebuilds the layer's legend nodes on this signal
        layer.legendChanged.emit()
    except (AttributeError, TypeError):  # pragma: no cover
        pass
    return True


def load_output(path: str, group_name: Optional[str] = None, arrows: bool = False,
                project: Optional[QgsProject] = None, name: Optional[str] = None,
                ramp_name: str = VELOCITY_RAMP) -> List:
    """Load a glacvel raster output, style it, group it; optional arrows layer.

    Parameters
    ----------
    path : str
        The raster file.
    group_name : str, optional
        Run group (:func:`add_to_group`); None = top of the layer tree.
    arrows : bool, default False
        Add a flow-arrows layer (:func:`arrows_layer`) for velocity products, directly
        above the raster so it is drawn over it.
    project : qgis.core.QgsProject, optional
        Default the current project.
    name : str, optional
        Layer name; default :func:`product_name` (sensor and dates, or the month).
    ramp_name : str, default VELOCITY_RAMP
        Ramp of velocity layers.

    Returns
    -------
    list of qgis.core.QgsMapLayer
        The layers added, raster first.

    Raises
    ------
    ValueError
        If the file cannot be loaded as a raster.
    """
    project = project or QgsProject.instance()
    layer = QgsRasterLayer(path, name or product_name(path))
    if not layer.isValid():
        raise ValueError(f"cannot load {path} as a raster layer")
    kind = style_layer(layer, ramp_name)
    added = [layer]
    if group_name:
        add_to_group(layer, group_name, project)
    else:
        project.addMapLayer(layer)
    label_legend(layer, project)
    if arrows and kind == "velocity":
        try:
            arr = arrows_layer(path, name=f"{layer.name()} " + translate("styling", "arrows"))
        except ValueError:
            arr = None
        if arr is not None:
            if group_name:
                add_to_group(arr, group_name, project, above=layer)
            else:
                add_above(arr, layer, project)
            label_legend(arr, project)
            added.append(arr)
    return added


# --------------------------------------------------------------------------- Processing
class GlacvelLayerPostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Styles a Processing output layer when it loads; optional run group and arrows.

    Processing (toolbox, modeler, ``processing.runAndLoadResults``, the chooser) calls
    :meth:`postProcessLayer` after it added the layer to the project. The layer gets
    the product's name (:func:`product_name`), the velocity or error style, the
    legend label ``speed (m/d)`` (refreshed in the layers panel) and, for velocity
    products when ``arrows`` is True, a flow-arrows layer directly above it.

    Create with :meth:`create` (keeps a Python reference so QGIS's raw pointer stays
    valid for the rest of the session).

    Parameters
    ----------
    group_name : str, optional
        Run group the layer is moved into.
    arrows : bool, default False
        Add flow arrows to velocity products.
    rename : bool, default True
        Name glacvel products after their sensor and dates or month.
    """

    def __init__(self, group_name: Optional[str] = None, arrows: bool = False,
                 rename: bool = True):
        super().__init__()
        self.group_name = group_name
        self.arrows = arrows
        self.rename = rename
        self.styled = []

    @classmethod
    def create(cls, group_name: Optional[str] = None, arrows: bool = False, rename: bool = True):
        """A post-processor kept alive in a module-level list.

        Parameters
        ----------
        group_name, arrows, rename
            As for the class.

        Returns
        -------
        GlacvelLayerPostProcessor
        """
        pp = cls(group_name, arrows, rename)
        _POSTPROCESSORS.append(pp)
        return pp

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 (QGIS API)
        """Name, style, group and label a loaded layer, and add its arrows (QGIS API).

        Parameters
        ----------
        layer : qgis.core.QgsMapLayer
            The layer Processing loaded.
        context : qgis.core.QgsProcessingContext
            Its project is used (else the current project).
        feedback : qgis.core.QgsProcessingFeedback
            Unused.
        """
        if self.rename and isinstance(layer, QgsRasterLayer) and is_glacvel_product(layer):
            layer.setName(product_name(layer.source(), layer.name()))
        kind = style_layer(layer)
        self.styled.append((layer.id(), kind))
        project = context.project() or QgsProject.instance()
        if self.group_name and project.mapLayer(layer.id()) is not None:
            add_to_group(layer, self.group_name, project)
        label_legend(layer, project)
        if self.arrows and kind == "velocity" and os.path.exists(layer.source()):
            try:
                a = arrows_layer(layer.source(),
                                 name=f"{layer.name()} " + translate("styling", "arrows"))
            except ValueError:
                return
            if self.group_name:
                add_to_group(a, self.group_name, project, above=layer)
            else:
                add_above(a, layer, project)
            label_legend(a, project)


def attach_postprocessors(context, group_name: Optional[str] = None, arrows: bool = False,
                          only=None) -> int:
    """Give every layer Processing will load from a context a glacvel post-processor.

    Call after an algorithm ran (``GlacvelAlgorithm.postProcessAlgorithm`` does). A
    layer that already has a post-processor keeps it.

    Parameters
    ----------
    context : qgis.core.QgsProcessingContext
        The run's context.
    group_name : str, optional
        Run group of the layers.
    arrows : bool, default False
        Add flow arrows to velocity products.
    only : collection, optional
        Output values (layer ids) to attach to; None = every layer the context will
        load.

    Returns
    -------
    int
        The number of layers that got one.
    """
    n = 0
    wanted = None if only is None else {str(v) for v in only}
    for layer_id in list(context.layersToLoadOnCompletion().keys()):
        if wanted is not None and layer_id not in wanted:
            continue
        details = context.layerToLoadOnCompletionDetails(layer_id)
        if details.postProcessor() is not None:
            continue
        details.setPostProcessor(GlacvelLayerPostProcessor.create(group_name, arrows))
        n += 1
    return n


def is_glacvel_product(layer) -> bool:
    """Whether a layer is a glacvel raster product.

    Parameters
    ----------
    layer : qgis.core.QgsMapLayer
        Any layer.

    Returns
    -------
    bool
        True for a valid raster layer with a band described ``v`` or ``v_error``.
    """
    if not isinstance(layer, QgsRasterLayer) or not layer.isValid():
        return False
    names = band_names(layer)
    return "v" in names or "v_error" in names


def style_new_layers(layers: Iterable) -> int:
    """Slot for ``QgsProject.layersAdded``: style glacvel products not yet styled.

    Parameters
    ----------
    layers : iterable of qgis.core.QgsMapLayer
        The layers added.

    Returns
    -------
    int
        The number of layers styled.
    """
    n = 0
    for layer in layers:
        if is_glacvel_product(layer) and not layer.customProperty("glacvel/style"):
            style_layer(layer)
            n += 1
    return n


def save_style(layer, path: str) -> str:
    """Write a layer's style as a ``.qml`` file.

    Parameters
    ----------
    layer : qgis.core.QgsMapLayer
        The layer.
    path : str
        Destination ``.qml``.

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    ValueError
        When QGIS cannot write it.
    """
    msg, ok = layer.saveNamedStyle(path)
    if not ok:
        raise ValueError(f"cannot write style {path}: {msg}")
    return path
