"""Regenerate the shipped QGIS styles resources/styles/*.qml from glacvel_plugin.styling.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_styles.py``

The .qml files are for users who load products by hand: a fixed linear scale
(velocity 0–1 m/d, the range that suits mountain glaciers; error 0–0.2 m/d) on the
band positions of the standard product layout (``v`` = band 1, ``v_error`` = band 7).
Inside QGIS glacvel styles with the 98th percentile of each layer instead.
"""
import datetime as dt
import os
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main():
    from qgis.core import QgsApplication, QgsRasterLayer
    app = QgsApplication([], False)
    app.initQgis()
    from affine import Affine
    from rasterio.crs import CRS

    from glacvel_plugin import styling
    from glacvel_plugin.io.product import VELOCITY_BANDS, standard_tags, write_product
    out_dir = os.path.join(ROOT, "resources", "styles")
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # a layout-only product (grid values do not enter the fixed-range styles)
        bands = {b: np.linspace(0.1, 1.6, 16, dtype=np.float32).reshape(4, 4)
                 for b in VELOCITY_BANDS + ("v_error",)}
        path = write_product(os.path.join(tmp, "layout.tif"), bands,
                             Affine(30, 0, 500000, 0, -30, 7000000), CRS.from_epsg(32607),
                             standard_tags("L8", dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 17), "layout"))
        for name, ramp, band, vmax in (("velocity_viridis.qml", "Viridis", "v", 1.0),
                                       ("velocity_magma.qml", "Magma", "v", 1.0),
                                       ("error_magma.qml", "Magma", "v_error", 0.2)):
            layer = QgsRasterLayer(path, name)
            styling.style_velocity(layer, ramp, vmax=vmax, band_name=band)
            styling.save_style(layer, os.path.join(out_dir, name))
            print("wrote", name)
        arrows = styling.arrows_layer(path)
        arrows.setRenderer(arrows.renderer().clone())
        # arrows.qml: 1 m/d drawn 1000 m long; adjust "scale" in the layer properties
        sl = arrows.renderer().symbol().symbolLayer(0)
        sl.setScale(1000.0)
        styling.save_style(arrows, os.path.join(out_dir, "arrows.qml"))
        print("wrote arrows.qml")
    app.exitQgis()


if __name__ == "__main__":
    main()
