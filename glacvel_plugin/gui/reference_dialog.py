"""Reference-polygon dialog: UAV reference polygons (chosen or drawn), UAV velocity rasters
or GNSS points, reference pixel counts per polygon, then ``glacvel:fit_fusion_weights``.

The fit runs through Processing by id, in the background (:class:`ChainTask`), the
same code path as the toolbox.
"""
from __future__ import annotations

import os
from typing import Dict, List, Optional

import numpy as np
from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsCoordinateTransform,
                       QgsFeature, QgsField, QgsGeometry, QgsMapLayerProxyModel, QgsPointXY,
                       QgsProject, QgsVectorLayer, QgsWkbTypes)
from qgis.gui import QgsFileWidget, QgsMapLayerComboBox, QgsMapTool, QgsRubberBand
from qgis.PyQt.QtCore import QCoreApplication, Qt, QVariant, pyqtSignal
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtWidgets import (QButtonGroup, QComboBox, QDialog, QFormLayout, QGroupBox,
                                 QHBoxLayout, QHeaderView, QLabel, QPushButton, QRadioButton,
                                 QTableWidget, QTableWidgetItem, QVBoxLayout)

from .scene_chooser import ChainTask, Step

FIT_ALG = "glacvel:fit_fusion_weights"


def _split_paths(text: str) -> List[str]:
    """Paths of a multi-file QgsFileWidget value (``"a" "b"`` or a single path)."""
    if not text:
        return []
    return QgsFileWidget.splitFilePaths(text) if '"' in text else [text]


def reference_pixel_counts(polygons: QgsVectorLayer, rasters: List[str],
                           band: str = "v") -> List[Dict]:
    """Valid reference pixels inside each polygon, per raster.

    For every feature of ``polygons`` (any CRS; transformed to each raster's CRS)
    count the pixels whose centre lies inside and whose ``band`` (found by band
    description; band 1 when the file has no such band) is finite and not no-data.
    Only the window covering the polygon is read. Returns one dict per feature:
    ``{"fid", "name", "counts": [n per raster], "total"}``. Raises ``ValueError``
    when a raster cannot be opened.
    """
    from ..io.info import ValidPixelCounter
    rows = []
    feats = list(polygons.getFeatures())
    name_field = next((f.name() for f in polygons.fields()
                       if f.name().lower() in ("name", "id", "label")), None)
    infos = []
    for path in rasters:
        infos.append(ValidPixelCounter(path, "reference"))
    try:
        for feat in feats:
            counts = []
            for ds in infos:
                xf = QgsCoordinateTransform(polygons.crs(), QgsCoordinateReferenceSystem.fromWkt(ds.crs_wkt),
                                            QgsProject.instance())
                g = QgsGeometry(feat.geometry())
                if g.isEmpty():
                    counts.append(0)
                    continue
                g.transform(xf)
                bb = g.boundingBox()
                t = ds.transform
                c0 = max(0, int(np.floor((bb.xMinimum() - t.c) / t.a)))
                c1 = min(ds.width, int(np.ceil((bb.xMaximum() - t.c) / t.a)))
                r0 = max(0, int(np.floor((bb.yMaximum() - t.f) / t.e)))
                r1 = min(ds.height, int(np.ceil((bb.yMinimum() - t.f) / t.e)))
                if c1 <= c0 or r1 <= r0:
                    counts.append(0)
                    continue
                counts.append(ds.count(band, (c0, r0, c1, r1), g.asJson()))
            label = feat[name_field] if name_field else None
            if label is None or str(label) in ("", "NULL"):
                label = feat.id()
            rows.append({"fid": feat.id(), "name": str(label),
                         "counts": counts, "total": int(sum(counts))})
    finally:
        for ds in infos:
            ds.close()
    return rows


def layer_file(layer: QgsVectorLayer) -> str:
    """A file path for ``layer``: its source, or a GeoPackage copy of a memory layer.

    Background Processing runs cannot see the project's memory layers, so drawn
    polygons are written to a temporary GeoPackage first.
    """
    if layer.providerType() != "memory":
        return layer.source()
    import tempfile

    from qgis.core import QgsVectorFileWriter
    path = os.path.join(tempfile.mkdtemp(prefix="glacvel-"), "reference_polygons.gpkg")
    opts = QgsVectorFileWriter.SaveVectorOptions()
    opts.driverName = "GPKG"
    err = QgsVectorFileWriter.writeAsVectorFormatV2(layer, path, QgsProject.instance().transformContext(), opts)
    if err[0] != QgsVectorFileWriter.NoError:
        raise ValueError(QCoreApplication.translate(
            "GlacvelMessages", "cannot save the drawn polygons: {}").format(err[1]))
    return path


def points_in_polygons(points: QgsVectorLayer, polygons: Optional[QgsVectorLayer]) -> List[Dict]:
    """GNSS stations per polygon (``polygons`` None → one row with all stations)."""
    pts = [f.geometry() for f in points.getFeatures() if not f.geometry().isEmpty()]
    if polygons is None:
        return [{"fid": None, "name": QCoreApplication.translate("ReferenceDialog", "all stations"),
                 "counts": [len(pts)], "total": len(pts)}]
    xf = QgsCoordinateTransform(points.crs(), polygons.crs(), QgsProject.instance())
    moved = []
    for g in pts:
        g = QgsGeometry(g)
        g.transform(xf)
        moved.append(g)
    rows = []
    for feat in polygons.getFeatures():
        n = sum(1 for g in moved if feat.geometry().contains(g))
        rows.append({"fid": feat.id(), "name": str(feat.id()), "counts": [n], "total": n})
    return rows


class PolygonDrawTool(QgsMapTool):
    """Map tool: left click adds a vertex, right click (or :meth:`finish`) closes the polygon.

    Emits ``polygonDrawn(QgsGeometry)`` in the canvas CRS; shows a rubber band meanwhile.
    """

    polygonDrawn = pyqtSignal(object)

    def __init__(self, canvas):
        super().__init__(canvas)
        self.points: List[QgsPointXY] = []
        self.band = QgsRubberBand(canvas, QgsWkbTypes.PolygonGeometry)
        self.band.setColor(QColor(230, 80, 30, 120))
        self.band.setWidth(2)

    def add_point(self, pt: QgsPointXY):
        self.points.append(QgsPointXY(pt))
        self.band.addPoint(QgsPointXY(pt), True)

    def finish(self) -> Optional[QgsGeometry]:
        """Close the ring; returns the polygon (None with fewer than 3 vertices)."""
        geom = None
        if len(self.points) >= 3:
            geom = QgsGeometry.fromPolygonXY([self.points + [self.points[0]]])
            self.polygonDrawn.emit(geom)
        self.points = []
        self.band.reset(QgsWkbTypes.PolygonGeometry)
        return geom

    def canvasReleaseEvent(self, event):  # noqa: N802 (Qt API)
        if event.button() == Qt.RightButton:
            self.finish()
        else:
            self.add_point(self.toMapCoordinates(event.pos()))

    def deactivate(self):
        self.band.reset(QgsWkbTypes.PolygonGeometry)
        super().deactivate()


class ReferenceDialog(QDialog):
    """Choose/draw reference polygons and the reference data, count pixels, fit weights."""

    taskFinished = pyqtSignal(object)

    def __init__(self, iface=None, parent=None):
        super().__init__(parent)
        self.iface = iface
        self.task = None
        self.tool = None
        self.drawn_layer: Optional[QgsVectorLayer] = None
        self.counts: List[Dict] = []
        self.weights = None
        self.setWindowTitle(self.tr("Glacier velocity — reference polygons and fusion weights"))
        self.resize(760, 620)
        self._build()

    def tr(self, text):
        return QCoreApplication.translate("ReferenceDialog", text)

    def _build(self):
        lay = QVBoxLayout(self)
        src_box = QGroupBox(self.tr("Velocity sources to weight"))
        sf = QFormLayout(src_box)
        self.sources = QgsFileWidget()
        self.sources.setStorageMode(QgsFileWidget.GetMultipleFiles)
        self.sources.setFilter(self.tr("Velocity products (*.tif *.tiff)"))
        sf.addRow(self.tr("Products (Landsat, Sentinel-1, Sentinel-2…)"), self.sources)
        lay.addWidget(src_box)

        ref_box = QGroupBox(self.tr("Reference"))
        rf = QFormLayout(ref_box)
        self.use_raster = QRadioButton(self.tr("UAV velocity raster(s) inside polygons"))
        self.use_points = QRadioButton(self.tr("GNSS station points"))
        self.use_raster.setChecked(True)
        grp = QButtonGroup(self)
        grp.addButton(self.use_raster)
        grp.addButton(self.use_points)
        rf.addRow(self.use_raster)
        self.uav = QgsFileWidget()
        self.uav.setStorageMode(QgsFileWidget.GetMultipleFiles)
        self.uav.setFilter(self.tr("UAV velocity products (*.tif *.tiff)"))
        rf.addRow(self.tr("UAV velocity raster(s)"), self.uav)
        poly_row = QHBoxLayout()
        self.polygons = QgsMapLayerComboBox()
        self.polygons.setFilters(QgsMapLayerProxyModel.PolygonLayer)
        self.polygons.setAllowEmptyLayer(True)
        self.polygons.setLayer(None)  # start empty: never guess the reference polygons
        poly_row.addWidget(self.polygons, 1)
        self.draw_button = QPushButton(self.tr("Draw on map"))
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip(self.tr("Left click adds a vertex, right click closes the polygon"))
        self.draw_button.toggled.connect(self.toggle_drawing)
        poly_row.addWidget(self.draw_button)
        rf.addRow(self.tr("Reference polygons"), poly_row)
        rf.addRow(self.use_points)
        self.points = QgsMapLayerComboBox()
        self.points.setFilters(QgsMapLayerProxyModel.PointLayer)
        self.points.setAllowEmptyLayer(True)
        self.points.setLayer(None)
        self._except_glacvel_layers()
        rf.addRow(self.tr("GNSS point layer"), self.points)
        self.method = QComboBox()
        self.method.addItem(self.tr("Constrained least squares (W ≥ 0, ΣW = 1)"), 0)
        self.method.addItem(self.tr("Unconstrained least squares"), 1)
        self.method.addItem(self.tr("Inverse variance"), 2)
        rf.addRow(self.tr("Method"), self.method)
        lay.addWidget(ref_box)

        count_row = QHBoxLayout()
        self.count_button = QPushButton(self.tr("Count reference pixels"))
        self.count_button.clicked.connect(self.update_counts)
        count_row.addWidget(self.count_button)
        count_row.addStretch(1)
        lay.addLayout(count_row)
        self.count_table = QTableWidget(0, 2)
        self.count_table.setHorizontalHeaderLabels([self.tr("Polygon"), self.tr("Reference pixels")])
        self.count_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.count_table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.count_table, 1)

        self.message = QLabel("")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        self.fit_button = QPushButton(self.tr("Fit weights"))
        self.fit_button.clicked.connect(self.fit_weights)
        bottom.addWidget(self.fit_button)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.close)
        bottom.addWidget(self.close_button)
        lay.addLayout(bottom)

    def show_message(self, text, error=False):
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00020;" if error else "")

    # ---- drawing
    def _except_glacvel_layers(self):
        """Keep glacvel's own arrows layers out of the GNSS point choices."""
        from qgis.core import QgsProject
        own = [lyr for lyr in QgsProject.instance().mapLayers().values()
               if lyr.customProperty("glacvel/style") == "arrows"]
        self.points.setExceptedLayerList(own)

    def toggle_drawing(self, on: bool):
        if self.iface is None:
            return
        canvas = self.iface.mapCanvas()
        if on:
            self.tool = PolygonDrawTool(canvas)
            self.tool.polygonDrawn.connect(self.add_drawn_polygon)
            canvas.setMapTool(self.tool)
            self.show_message(self.tr("Draw a polygon: left click adds vertices, right click closes it."))
        elif self.tool is not None:
            canvas.unsetMapTool(self.tool)
            self.tool = None

    def add_drawn_polygon(self, geom: QgsGeometry) -> QgsFeature:
        """Add a drawn polygon (canvas CRS) to the memory layer of reference polygons."""
        crs = (self.iface.mapCanvas().mapSettings().destinationCrs() if self.iface is not None
               else QgsCoordinateReferenceSystem("EPSG:4326"))
        if self.drawn_layer is None or QgsProject.instance().mapLayer(self.drawn_layer.id()) is None:
            self.drawn_layer = QgsVectorLayer(f"Polygon?crs={crs.authid()}",
                                              self.tr("reference polygons"), "memory")
            self.drawn_layer.dataProvider().addAttributes([QgsField("name", QVariant.String)])
            self.drawn_layer.updateFields()
            QgsProject.instance().addMapLayer(self.drawn_layer)
        feat = QgsFeature(self.drawn_layer.fields())
        feat.setGeometry(geom)
        feat["name"] = self.tr("polygon {}").format(self.drawn_layer.featureCount() + 1)
        self.drawn_layer.dataProvider().addFeatures([feat])
        self.drawn_layer.updateExtents()
        self.drawn_layer.triggerRepaint()
        self.polygons.setLayer(self.drawn_layer)
        self.update_counts()
        return feat

    # ---- counts
    def update_counts(self) -> List[Dict]:
        """Fill the table with reference pixels (or stations) per polygon."""
        poly = self.polygons.currentLayer()
        try:
            if self.use_points.isChecked():
                pts = self.points.currentLayer()
                if pts is None:
                    raise ValueError(self.tr("choose a GNSS point layer"))
                self.counts = points_in_polygons(pts, poly)
                headers = [self.tr("Polygon"), self.tr("GNSS stations")]
            else:
                rasters = _split_paths(self.uav.filePath())
                if not rasters:
                    raise ValueError(self.tr("choose the UAV velocity raster(s)"))
                if poly is None:
                    raise ValueError(self.tr("choose or draw reference polygons"))
                self.counts = reference_pixel_counts(poly, rasters)
                headers = [self.tr("Polygon")] + [os.path.basename(r) for r in rasters] \
                    + ([self.tr("Total")] if len(rasters) > 1 else [])
        except ValueError as exc:
            self.counts = []
            self.count_table.setRowCount(0)
            self.show_message(str(exc), error=True)
            return self.counts
        self.count_table.setColumnCount(len(headers))
        self.count_table.setHorizontalHeaderLabels(headers)
        self.count_table.setRowCount(len(self.counts))
        for r, row in enumerate(self.counts):
            vals = [row["name"]] + row["counts"] + ([row["total"]] if len(row["counts"]) > 1 else [])
            for c, v in enumerate(vals):
                item = QTableWidgetItem()
                if isinstance(v, int):
                    item.setData(Qt.DisplayRole, v)
                else:
                    item.setText(str(v))
                self.count_table.setItem(r, c, item)
        total = sum(row["total"] for row in self.counts)
        empty = [row["name"] for row in self.counts if row["total"] == 0]
        msg = self.tr("{} reference values in {} polygons.").format(total, len(self.counts))
        if empty:
            msg += " " + self.tr("No reference data in: {}.").format(", ".join(empty))
        self.show_message(msg, error=total == 0)
        return self.counts

    # ---- fitting
    def parameters(self) -> List[Dict]:
        """Parameter sets of ``glacvel:fit_fusion_weights`` from the widgets.

        One set for GNSS points; one per UAV raster otherwise (the algorithm takes one
        reference raster). Raises ``ValueError`` naming what is missing.
        """
        sources = _split_paths(self.sources.filePath())
        if len(sources) < 2:
            raise ValueError(self.tr("choose at least two velocity products to weight"))
        base = {"SOURCES": sources, "METHOD": self.method.currentData()}
        if self.use_points.isChecked():
            pts = self.points.currentLayer()
            if pts is None:
                raise ValueError(self.tr("choose a GNSS point layer"))
            return [dict(base, REFERENCE_POINTS=layer_file(pts))]
        rasters = _split_paths(self.uav.filePath())
        poly = self.polygons.currentLayer()
        if not rasters or poly is None:
            raise ValueError(self.tr("choose the UAV velocity raster(s) and the reference polygons"))
        polys = layer_file(poly)
        return [dict(base, REFERENCE_RASTER=r, REFERENCE_POLYGONS=polys) for r in rasters]

    def fit_weights(self):
        """Run ``glacvel:fit_fusion_weights`` in the background; results shown when done."""
        try:
            param_sets = self.parameters()
        except ValueError as exc:
            self.show_message(str(exc), error=True)
            return None
        if QgsApplication.processingRegistry().algorithmById(FIT_ALG) is None:
            self.show_message(self.tr("Processing algorithm not available: {}").format(FIT_ALG), error=True)
            return None
        steps = [Step(FIT_ALG, p, os.path.basename(p.get("REFERENCE_RASTER", "")) or "GNSS")
                 for p in param_sets]
        self.task = ChainTask(steps, self.tr("glacvel weights"), False, self._done)
        self.fit_button.setEnabled(False)
        self.show_message(self.tr("Fitting weights in the background…"))
        QgsApplication.taskManager().addTask(self.task)
        return self.task

    def _done(self, task):
        self.task = None
        self.fit_button.setEnabled(True)
        if task.error:
            self.show_message(self.tr("Fit failed: {}").format(task.error), error=True)
        else:
            self.weights = [res.get("WEIGHTS") for _, res in task.results]
            lines = []
            for step, res in task.results:
                line = self.tr("Weights ({}): {}").format(step.label, res.get("WEIGHTS_TEXT", ""))
                if res.get("CV_RMSE") is not None:
                    line += " — " + self.tr("cross-validated RMSE {:.3f} m/d").format(res["CV_RMSE"])
                lines.append(line)
            self.show_message("\n".join(lines))
        self.taskFinished.emit(task)
