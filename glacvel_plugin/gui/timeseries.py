"""Velocity time series at a point: a map tool, its sampling and the plot dock.

Clicked on the map, :class:`VelocityPointTool` hands the point to
:class:`VelocityTimeSeriesDock`, which samples **every glacvel product loaded in the
project** (monthly ``YYYYMM`` products and per-pair products alike) at that point and
plots speed ``v`` (and optionally ``vx``, ``vy``) against time, with ``v_error`` as
error bars and each product's time span as a horizontal bar — what the ITS_LIVE web
viewer shows, inside QGIS. The table can be exported as CSV, the figure as PNG.

Sampling (:func:`sample_products`) reads the one pixel containing the point (no
interpolation: a velocity product's pixel is one correlation window) through
``alg_analysis``'s product readers, so products in m/yr are converted to m/d and
``v`` is computed from ``vx``/``vy`` when a product lacks it. Each product is dated
at the middle of its ``START_TIME``–``END_TIME`` interval.
"""
from __future__ import annotations

import csv
import datetime as _dt
import os
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional

import numpy as np
from qgis.core import (QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsPointXY,
                       QgsProject, QgsRasterLayer)
from qgis.gui import QgsDockWidget, QgsMapToolEmitPoint
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (QCheckBox, QFileDialog, QHBoxLayout, QLabel, QPushButton,
                                 QVBoxLayout, QWidget)

from ..i18n import translate

BANDS = ("v", "vx", "vy", "v_error")
"""Bands sampled at the point (m/d)."""


@dataclass
class Sample:
    """One product sampled at the point.

    ``start``/``end``: the product's time span (naive UTC); ``mid``: its middle, the
    date it is plotted at; ``v``, ``vx``, ``vy``, ``v_error``: m/d (NaN where the
    product has no value or no such band); ``monthly``: a ``YYYYMM`` product.
    """
    name: str
    path: str
    start: _dt.datetime
    end: _dt.datetime
    v: float
    vx: float
    vy: float
    v_error: float
    monthly: bool

    @property
    def mid(self) -> _dt.datetime:
        return self.start + (self.end - self.start) / 2

    @property
    def dt_days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400.0


def product_layers(project: Optional[QgsProject] = None) -> List[QgsRasterLayer]:
    """The glacvel velocity products loaded in the project (raster layers with ``v``
    or ``vx``/``vy`` bands), each file once, in layer-tree order."""
    from ..styling import band_names
    project = project or QgsProject.instance()
    out, seen = [], set()
    for node in project.layerTreeRoot().findLayers():
        layer = node.layer()
        if not isinstance(layer, QgsRasterLayer) or not layer.isValid():
            continue
        src = os.path.abspath(layer.source().split("|")[0])
        if src in seen or not os.path.exists(src):
            continue
        names = band_names(layer)
        if "v" in names or {"vx", "vy"} <= set(names):
            out.append(layer)
            seen.add(src)
    return out


def sample_products(layers: Iterable, point: QgsPointXY, point_crs: QgsCoordinateReferenceSystem,
                    project: Optional[QgsProject] = None) -> List[Sample]:
    """Sample velocity products at ``point`` (in ``point_crs``, e.g. the canvas CRS).

    Parameters
    ----------
    layers : raster layers (or file paths) of glacvel products.
    point : the clicked point. point_crs : its CRS.

    Returns
    -------
    list of :class:`Sample`, sorted by middle date; products without
    ``START_TIME``/``END_TIME`` tags, outside which the point lies, or with no value
    at the point are left out.
    """
    from ..io.info import open_product_info, pixel_window, read_bands
    from ..styling import month_of, product_name
    project = project or QgsProject.instance()
    out = []
    for item in layers:
        path = item if isinstance(item, str) else item.source().split("|")[0]
        name = product_name(path, None if isinstance(item, str) else item.name())
        try:
            info = open_product_info(path)
        except ValueError:
            continue
        if info.start is None or info.end is None or not info.end > info.start:
            continue
        crs = QgsCoordinateReferenceSystem.fromWkt(info.crs.to_wkt())
        p = QgsPointXY(point)
        if point_crs.isValid() and crs != point_crs:
            p = QgsCoordinateTransform(point_crs, crs, project).transform(p)
        col, row = ~info.transform * (p.x(), p.y())
        r, c = int(np.floor(row)), int(np.floor(col))
        if not (0 <= r < info.shape[0] and 0 <= c < info.shape[1]):
            continue
        vals = read_bands(info, BANDS, window=pixel_window(c, r, 1, 1))
        s = {b: float(vals[b][0, 0]) if b in vals else float("nan") for b in BANDS}
        if not np.isfinite(s["v"]):
            continue
        out.append(Sample(name, path, info.start, info.end, s["v"], s["vx"], s["vy"],
                          s["v_error"], month_of(path) is not None))
    out.sort(key=lambda x: (x.mid, x.name))
    return out


def plot_data(samples: List[Sample]) -> Dict[str, np.ndarray]:
    """Arrays for the plot: ``time`` (matplotlib date numbers of the middle dates),
    ``half_span`` (days), ``v``, ``vx``, ``vy``, ``v_error`` (m/d; NaN → 0 for the
    error bars), ``monthly`` (bool)."""
    from matplotlib.dates import date2num
    return {
        "time": np.array([date2num(s.mid) for s in samples], dtype=float),
        "half_span": np.array([s.dt_days / 2.0 for s in samples], dtype=float),
        "v": np.array([s.v for s in samples], dtype=float),
        "vx": np.array([s.vx for s in samples], dtype=float),
        "vy": np.array([s.vy for s in samples], dtype=float),
        "v_error": np.nan_to_num(np.array([s.v_error for s in samples], dtype=float)),
        "monthly": np.array([s.monthly for s in samples], dtype=bool),
    }


def write_csv(samples: List[Sample], path: str, point: Optional[QgsPointXY] = None,
              crs: Optional[QgsCoordinateReferenceSystem] = None) -> str:
    """Write the samples as CSV (one row per product; velocities in m/d; times UTC)."""
    tmp = path + ".part"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        if point is not None:
            w.writerow([f"# point {point.x():.2f} {point.y():.2f} "
                        f"{crs.authid() if crs is not None else ''}".strip()])
        w.writerow(["product", "file", "start_utc", "end_utc", "mid_utc", "dt_days", "v_m_per_d",
                    "vx_m_per_d", "vy_m_per_d", "v_error_m_per_d", "monthly"])
        for s in samples:
            w.writerow([s.name, os.path.basename(s.path), f"{s.start:%Y-%m-%dT%H:%M:%S}",
                        f"{s.end:%Y-%m-%dT%H:%M:%S}", f"{s.mid:%Y-%m-%dT%H:%M:%S}",
                        f"{s.dt_days:.3f}"] + [_num(x) for x in (s.v, s.vx, s.vy, s.v_error)]
                       + [int(s.monthly)])
    os.replace(tmp, path)
    return path


def _num(x: float) -> str:
    return f"{x:.4f}" if np.isfinite(x) else ""


class VelocityPointTool(QgsMapToolEmitPoint):
    """Map tool: a left click emits ``pointClicked(point, crs)`` in the canvas CRS."""

    pointClicked = pyqtSignal(QgsPointXY, QgsCoordinateReferenceSystem)

    def __init__(self, canvas):
        super().__init__(canvas)
        self.canvas_ = canvas
        self.setCursor(Qt.CrossCursor)
        self.canvasClicked.connect(self._clicked)

    def _clicked(self, point, button):
        if button == Qt.LeftButton:
            self.pointClicked.emit(QgsPointXY(point),
                                   self.canvas_.mapSettings().destinationCrs())


class VelocityTimeSeriesDock(QgsDockWidget):
    """Dock plotting v (vx, vy) with v_error bars against time at a clicked point."""

    def __init__(self, parent=None, project: Optional[QgsProject] = None):
        super().__init__(translate("VelocityTimeSeriesDock", "Glacier velocity time series"), parent)
        self.setObjectName("GlacvelTimeSeriesDock")
        self.project = project or QgsProject.instance()
        self.samples: List[Sample] = []
        self.point = None
        self.crs = None
        from matplotlib.backends.backend_qt5agg import FigureCanvasQTAgg
        from matplotlib.figure import Figure
        body = QWidget()
        lay = QVBoxLayout(body)
        self.info = QLabel(translate("VelocityTimeSeriesDock", "Click on a glacier with the time-series tool."))
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.figure = Figure(figsize=(5, 3.2), dpi=100)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumHeight(220)
        lay.addWidget(self.canvas, 1)
        row = QHBoxLayout()
        self.show_vx = QCheckBox(translate("VelocityTimeSeriesDock", "vx"))
        self.show_vy = QCheckBox(translate("VelocityTimeSeriesDock", "vy"))
        for cb in (self.show_vx, self.show_vy):
            cb.toggled.connect(self.redraw)
            row.addWidget(cb)
        row.addStretch(1)
        self.csv_button = QPushButton(translate("VelocityTimeSeriesDock", "Export CSV…"))
        self.csv_button.clicked.connect(lambda: self.export_csv())
        self.png_button = QPushButton(translate("VelocityTimeSeriesDock", "Export PNG…"))
        self.png_button.clicked.connect(lambda: self.export_png())
        row.addWidget(self.csv_button)
        row.addWidget(self.png_button)
        lay.addLayout(row)
        self.setWidget(body)
        self._set_enabled()

    def _set_enabled(self):
        for b in (self.csv_button, self.png_button):
            b.setEnabled(bool(self.samples))

    def set_point(self, point: QgsPointXY, crs: QgsCoordinateReferenceSystem) -> List[Sample]:
        """Sample every loaded glacvel product at ``point`` and redraw."""
        self.point, self.crs = QgsPointXY(point), crs
        layers = product_layers(self.project)
        self.samples = sample_products(layers, point, crs, self.project)
        where = f"{point.x():.0f}, {point.y():.0f} ({crs.authid()})"
        if not layers:
            self.info.setText(translate("VelocityTimeSeriesDock", "No glacvel velocity product is loaded; load products "
                                 "(monthly YYYYMM.tif or pair products) first."))
        elif not self.samples:
            self.info.setText(translate("VelocityTimeSeriesDock", "No product has a value at {}.").format(where))
        else:
            self.info.setText(translate("VelocityTimeSeriesDock", "{} of {} products have a value at {}.").format(
                len(self.samples), len(layers), where))
        self.redraw()
        self._set_enabled()
        return self.samples

    def redraw(self):
        """Draw the samples: v with v_error bars (and the time span), optional vx, vy."""
        import matplotlib.dates as mdates
        fig = self.figure
        fig.clear()
        ax = fig.add_subplot(111)
        self.axes = ax
        if self.samples:
            d = plot_data(self.samples)
            for monthly, marker, label in ((False, "o", translate("VelocityTimeSeriesDock", "pair products")),
                                           (True, "s", translate("VelocityTimeSeriesDock", "monthly products"))):
                m = d["monthly"] == monthly
                if m.any():
                    ax.errorbar(d["time"][m], d["v"][m], yerr=d["v_error"][m],
                                xerr=d["half_span"][m], fmt=marker, ms=5, color="#2a788e",
                                ecolor="#7fb7c7", elinewidth=1, capsize=2,
                                label=translate("VelocityTimeSeriesDock", "v") + " — " + label,
                                gid="v_monthly" if monthly else "v_pairs")
            if self.show_vx.isChecked():
                ax.plot(d["time"], d["vx"], "^", color="#d95f02", mfc="none", label=translate("VelocityTimeSeriesDock", "vx"), gid="vx")
            if self.show_vy.isChecked():
                ax.plot(d["time"], d["vy"], "v", color="#7570b3", mfc="none", label=translate("VelocityTimeSeriesDock", "vy"), gid="vy")
            ax.xaxis.set_major_locator(mdates.AutoDateLocator())
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
            ax.legend(fontsize=7, loc="best")
        ax.set_ylabel(translate("VelocityTimeSeriesDock", "velocity (m/d)"))
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        self.canvas.draw_idle()

    def export_csv(self, path: Optional[str] = None) -> Optional[str]:
        """Write the samples to ``path`` (asks for a file when None)."""
        if not self.samples:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, translate("VelocityTimeSeriesDock", "Export time series"), "",
                                                  translate("VelocityTimeSeriesDock", "CSV files (*.csv)"))
            if not path:
                return None
        return write_csv(self.samples, path, self.point, self.crs)

    def export_png(self, path: Optional[str] = None) -> Optional[str]:
        """Save the figure to ``path`` (asks for a file when None)."""
        if not self.samples:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, translate("VelocityTimeSeriesDock", "Export plot"), "",
                                                  translate("VelocityTimeSeriesDock", "PNG images (*.png)"))
            if not path:
                return None
        self.figure.savefig(path, dpi=150)
        return path
