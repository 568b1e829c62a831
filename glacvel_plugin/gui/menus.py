"""Menu entries (Raster → Glacier velocity) and the toolbar button of glacvel."""
from qgis.core import QgsProject
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction

from ..resources import icon_path


class GlacvelMenus:
    """Adds the glacvel actions to the QGIS interface; ``remove()`` takes them away.

    * Raster → Glacier velocity → Scene and pair chooser… (also the toolbar button)
    * Raster → Glacier velocity → Reference polygons and fusion weights…
    * Raster → Glacier velocity → Style selected velocity layer
    * Raster → Glacier velocity → Add flow arrows for selected layer
    * Raster → Glacier velocity → Velocity time series at a point (also on the toolbar):
      a map tool; a click plots every loaded product's velocity there in a dock

    Velocity products added to the project in any way (toolbox, drag and drop) are
    styled automatically (``QgsProject.layersAdded``).
    """

    def __init__(self, iface):
        self.iface = iface
        self.actions = []
        self.menu_name = self.tr("Glacier velocity")
        self.toolbar = None
        self.dialogs = {}
        self.timeseries_tool = None
        self.timeseries_dock = None

    def tr(self, text):
        return QCoreApplication.translate("GlacvelMenus", text)

    def _action(self, text, slot, icon=True):
        action = QAction(QIcon(icon_path()) if icon else QIcon(), text, self.iface.mainWindow())
        action.triggered.connect(slot)
        self.iface.addPluginToRasterMenu(self.menu_name, action)
        self.actions.append(action)
        return action

    def add(self):
        """Create the actions, the menu entries and the toolbar button."""
        self.chooser_action = self._action(self.tr("Scene and pair chooser…"), self.show_scene_chooser)
        self.reference_action = self._action(self.tr("Reference polygons and fusion weights…"),
                                             self.show_reference_dialog, icon=False)
        self.style_action = self._action(self.tr("Style selected velocity layer"),
                                         self.style_selected, icon=False)
        self.arrows_action = self._action(self.tr("Add flow arrows for selected layer"),
                                          self.arrows_for_selected, icon=False)
        self.toolbar = self.iface.addToolBar(self.tr("Glacier velocity"))
        self.toolbar.setObjectName("GlacvelToolbar")
        self.timeseries_action = self._action(self.tr("Velocity time series at a point"),
                                              self.toggle_timeseries_tool)
        self.timeseries_action.setCheckable(True)
        self.timeseries_action.setIcon(QIcon(icon_path("timeseries.svg")))
        self.timeseries_action.setToolTip(self.tr("Click on a glacier to plot the velocity of "
                                                  "every loaded glacvel product there"))
        self.toolbar.addAction(self.chooser_action)
        self.toolbar.addAction(self.timeseries_action)
        QgsProject.instance().layersAdded.connect(self._style_new_layers)

    def remove(self):
        """Remove every action, the menu and the toolbar."""
        try:
            QgsProject.instance().layersAdded.disconnect(self._style_new_layers)
        except TypeError:
            pass
        for action in self.actions:
            self.iface.removePluginRasterMenu(self.menu_name, action)
        self.actions = []
        if self.toolbar is not None:
            self.toolbar.deleteLater()
            self.toolbar = None
        for dlg in self.dialogs.values():
            dlg.close()
        self.dialogs = {}
        if self.timeseries_tool is not None:
            if self.iface.mapCanvas().mapTool() is self.timeseries_tool:
                self.iface.mapCanvas().unsetMapTool(self.timeseries_tool)
            self.timeseries_tool = None
        if self.timeseries_dock is not None:
            self.iface.removeDockWidget(self.timeseries_dock)
            self.timeseries_dock.deleteLater()
            self.timeseries_dock = None

    def _style_new_layers(self, layers):
        from ..styling import style_new_layers
        style_new_layers(layers)

    def _show(self, key, factory):
        dlg = self.dialogs.get(key)
        if dlg is None:
            dlg = factory()
            self.dialogs[key] = dlg
        dlg.show()
        dlg.raise_()
        dlg.activateWindow()
        return dlg

    def show_scene_chooser(self):
        from .scene_chooser import SceneChooserDialog
        return self._show("chooser", lambda: SceneChooserDialog(self.iface, self.iface.mainWindow()))

    def show_reference_dialog(self):
        from .reference_dialog import ReferenceDialog
        return self._show("reference", lambda: ReferenceDialog(self.iface, self.iface.mainWindow()))

    def style_selected(self):
        from ..styling import style_layer
        layer = self.iface.activeLayer()
        kind = style_layer(layer) if layer is not None else None
        if kind is None:
            self.iface.messageBar().pushWarning(
                self.tr("Glacier velocity"),
                self.tr("Select a glacvel velocity product (a raster with a band named v or v_error)."))
        return kind

    def arrows_for_selected(self):
        from ..styling import arrows_layer
        layer = self.iface.activeLayer()
        try:
            if layer is None:
                raise ValueError(self.tr("select a velocity layer first"))
            arrows = arrows_layer(layer.source(), name=layer.name() + " " + self.tr("arrows"))
        except ValueError as exc:
            self.iface.messageBar().pushWarning(self.tr("Glacier velocity"), str(exc))
            return None
        QgsProject.instance().addMapLayer(arrows)
        return arrows

    def toggle_timeseries_tool(self, checked=True):
        """Activate (or leave) the time-series map tool; shows its dock."""
        from qgis.PyQt.QtCore import Qt

        from .timeseries import VelocityPointTool, VelocityTimeSeriesDock
        canvas = self.iface.mapCanvas()
        if not checked:
            if canvas.mapTool() is self.timeseries_tool:
                canvas.unsetMapTool(self.timeseries_tool)
            return None
        if self.timeseries_dock is None:
            self.timeseries_dock = VelocityTimeSeriesDock(self.iface.mainWindow())
            self.iface.addDockWidget(Qt.RightDockWidgetArea, self.timeseries_dock)
        if self.timeseries_tool is None:
            self.timeseries_tool = VelocityPointTool(canvas)
            self.timeseries_tool.setAction(self.timeseries_action)
            self.timeseries_tool.pointClicked.connect(self.timeseries_dock.set_point)
        self.timeseries_dock.show()
        canvas.setMapTool(self.timeseries_tool)
        return self.timeseries_tool
