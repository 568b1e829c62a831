"""Screenshots from real desktop QGIS (run inside QGIS with ``qgis --code``).

The plugin must be installed in the profile (``make package``, unzip
``dist/glacvel_plugin.zip`` into ``<profile>/python/plugins`` and enable it). Then::

    GLACVEL_SHOT=modeler xvfb-run -a -s "-screen 0 1600x1000x24" \\
        qgis --profiles-path /tmp/prof --nologo --code scripts/qgis_desktop_shots.py
    GLACVEL_SHOT=dialog  xvfb-run ... (a profile whose QGIS language is 简体中文, zh-Hans)

``modeler`` opens ``resources/models/glacvel_chain.model3`` in the Graphical Modeler
(docs/img/model_in_modeler.png); ``toolbox`` runs ``glacvel:optical_correlation`` on the
tiny Yahtse pair from its toolbox dialog (Run button) and grabs the main window with the
loaded output (docs/img/toolbox_output.png); ``dialog`` opens the toolbox dialog of
``glacvel:optical_correlation`` (docs/img/toolbox_zh_hans.png; Chinese needs a CJK font,
e.g. Debian's fonts-wqy-microhei). QGIS quits after the picture is written; problems go
to ``docs/img/qgis_desktop_shots.log``.
"""
import os
import traceback

from qgis.core import QgsApplication, QgsProcessingModelAlgorithm
from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) \
    if "__file__" in globals() else os.getcwd()
OUT = os.path.join(ROOT, "docs", "img")
SHOT = os.environ.get("GLACVEL_SHOT", "modeler")


def _log(text):
    with open(os.path.join(OUT, "qgis_desktop_shots.log"), "a", encoding="utf-8") as f:
        f.write(text + "\n")


def _grab_later(widget, name):
    def grab():
        widget.grab().save(os.path.join(OUT, name))
        QTimer.singleShot(500, QgsApplication.instance().quit)
    QTimer.singleShot(3000, grab)


def toolbox_run():
    """Run correlation from its dialog; grab the main window once the output is loaded."""
    import tempfile

    import processing
    from qgis.core import QgsProject
    tiny = os.path.join(ROOT, "tests", "data", "desktop", "yahtse_tiny")
    iface.mainWindow().resize(1500, 950)
    dlg = processing.createAlgorithmDialog("glacvel:optical_correlation", {
        "REFERENCE": os.path.join(tiny, "LC80630182016200LGN00_B8_tiny.TIF"),
        "SECONDARY": os.path.join(tiny, "LC80630182016216LGN00_B8_tiny.TIF"),
        "MAX_SPEED": 25, "OUTPUT": os.path.join(tempfile.mkdtemp(), "velocity.tif")})
    dlg.show()
    tries = [0]

    def wait():
        tries[0] += 1
        layers = [lyr for lyr in QgsProject.instance().mapLayers().values()
                  if lyr.type() == lyr.RasterLayer]
        if not layers and tries[0] < 300:
            QTimer.singleShot(1000, wait)
            return
        dlg.close()
        if layers:
            iface.mapCanvas().setExtent(layers[0].extent())
            iface.mapCanvas().refresh()
        _grab_later(iface.mainWindow(), "toolbox_output.png")
    QTimer.singleShot(2000, lambda: (dlg.runButton().click(), QTimer.singleShot(1000, wait)))


def shoot():
    try:
        reg = QgsApplication.processingRegistry()
        if SHOT == "toolbox":
            toolbox_run()
            return
        if SHOT == "modeler":
            from processing.modeler.ModelerDialog import ModelerDialog
            model = QgsProcessingModelAlgorithm()
            model.fromFile(reg.createAlgorithmById("glacvel:velocity_chain").sourceFilePath())
            ok, errors = model.validate()
            if not ok:
                _log("model invalid: " + "; ".join(errors))
            dlg = ModelerDialog.create(model)
            dlg.resize(1300, 850)
            name = "model_in_modeler.png"
        else:
            from processing.gui.AlgorithmDialog import AlgorithmDialog
            dlg = AlgorithmDialog(reg.createAlgorithmById("glacvel:optical_correlation"), False,
                                  iface.mainWindow())
            dlg.resize(1150, 820)
            name = "toolbox_zh_hans.png"
        dlg.show()
        _grab_later(dlg, name)
    except Exception:  # keep QGIS from hanging under xvfb-run
        _log(traceback.format_exc())
        QgsApplication.instance().quit()


QTimer.singleShot(4000, shoot)
