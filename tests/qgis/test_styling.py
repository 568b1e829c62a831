"""Styling of real velocity products: ramp, percentile range, legend units, arrows, months."""
import datetime as dt
import os

import numpy as np
import pytest
import rasterio

from tests.conftest import carst_velocity
from tests.helpers import make_product

L8_MARCH = "LS8-061018_20180304-20180405"


@pytest.fixture
def product(tmp_path):
    return make_product(tmp_path / "201803.tif")


def _shader(layer):
    return layer.renderer().shader().rasterShaderFunction()


def test_velocity_layer_viridis_0_to_p98_with_units(qgis_app, product):
    from qgis.core import QgsRasterLayer, QgsSingleBandPseudoColorRenderer, QgsStyle

    from glacvel_plugin import styling
    path, v = product
    layer = QgsRasterLayer(path, "201803")
    assert styling.band_names(layer)[:3] == ["v", "vx", "vy"]
    assert styling.find_band(layer, "v_error") == 7
    assert styling.style_layer(layer) == "velocity"
    r = layer.renderer()
    assert isinstance(r, QgsSingleBandPseudoColorRenderer)
    assert r.band() == 1
    p98 = float(np.nanpercentile(v, 98))
    assert 0.3 < p98 < 1.5  # Kaskawulsh trunk, m/d
    assert r.classificationMin() == 0.0
    assert r.classificationMax() == pytest.approx(p98, rel=0.02)
    sh = _shader(layer)
    viridis = QgsStyle.defaultStyle().colorRamp("Viridis")
    items = sh.colorRampItemList()
    assert items[0].color.name() == viridis.color(0).name()
    assert items[-1].color.name() == viridis.color(1).name()
    assert items[-1].label.endswith("m/d")
    assert sh.legendSettings().suffix().strip() == "m/d"
    legend = [lbl for lbl, _ in r.legendSymbologyItems()]
    assert any("m/d" in lbl for lbl in legend)
    # monthly temporal range from the YYYYMM file name: all of March 2018, not April
    tp = layer.temporalProperties()
    assert tp.isActive()
    rng = tp.fixedTemporalRange()
    assert rng.begin().date().toPyDate() == dt.date(2018, 3, 1)
    assert rng.end().date().toPyDate() == dt.date(2018, 4, 1)
    assert not rng.includeEnd()


def test_error_layer_own_ramp_and_magma_option(qgis_app, product):
    from qgis.core import QgsRasterLayer, QgsStyle

    from glacvel_plugin import styling
    path, _ = product
    layer = QgsRasterLayer(path, "err")
    r = styling.style_error(layer)
    assert r.band() == styling.find_band(layer, "v_error") == 7
    with rasterio.open(path) as ds:
        e = ds.read(7, masked=True).compressed()
    assert r.classificationMax() == pytest.approx(np.percentile(e, 98), rel=0.03)
    magma = QgsStyle.defaultStyle().colorRamp("Magma")
    assert _shader(layer).colorRampItemList()[-1].color.name() == magma.color(1).name()
    assert layer.customProperty("glacvel/style") == "error"
    layer2 = QgsRasterLayer(path, "v")
    styling.style_velocity(layer2, "Magma", vmax=2.0)
    assert layer2.renderer().classificationMax() == 2.0
    assert _shader(layer2).colorRampItemList()[-1].color.name() == magma.color(1).name()
    # not a product: no band v → message names the bands
    raw = QgsRasterLayer(carst_velocity(L8_MARCH, "vx"), "raw")
    with pytest.raises(ValueError, match="no band 'v'"):
        styling.style_velocity(raw)
    assert styling.style_layer(raw) is None


def test_month_ranges():
    from glacvel_plugin import styling
    assert styling.month_of("/data/out/202312.tif") == (2023, 12)
    assert styling.month_of("velocity_201607_fused") == (2016, 7)
    assert styling.month_of("20180304-20180405_vx") is None  # an 8-digit date is not a month
    assert styling.month_of("201613.tif") is None
    rng = styling.month_range(2023, 12)
    assert rng.begin().date().toPyDate() == dt.date(2023, 12, 1)
    assert rng.end().date().toPyDate() == dt.date(2024, 1, 1)


def test_arrows_north_positive_and_rendered(qgis_app, tmp_path, product):
    """Arrow points carry block-mean vx/vy; a rendered arrow with vy > 0 points up (north)."""
    from qgis.core import (QgsFeature, QgsGeometry, QgsMapRendererParallelJob, QgsMapSettings,
                           QgsPointXY, QgsRectangle, QgsSingleSymbolRenderer,
                           QgsVectorFieldSymbolLayer, QgsVectorLayer)
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    from glacvel_plugin import styling
    path, v = product
    arrows = styling.arrows_layer(path, step=10)
    assert arrows.featureCount() > 100
    sl = arrows.renderer().symbol().symbolLayer(0)
    assert isinstance(sl, QgsVectorFieldSymbolLayer)
    assert (sl.xAttribute(), sl.yAttribute()) == ("vx", "vy")
    assert sl.vectorFieldType() == QgsVectorFieldSymbolLayer.Cartesian
    # block means equal numpy block means of the real vx (10×10 px, 120 m → 1200 m spacing)
    with rasterio.open(path) as ds:
        vx = ds.read(2, masked=True).astype(float).filled(np.nan)
    f = next(iter(arrows.getFeatures()))
    pt = f.geometry().asPoint()
    with rasterio.open(path) as ds:
        r, c = ds.index(pt.x(), pt.y())
    block = vx[r // 10 * 10:r // 10 * 10 + 10, c // 10 * 10:c // 10 * 10 + 10]
    assert f["vx"] == pytest.approx(np.nanmean(block), rel=1e-3, abs=1e-4)

    # north-positive: one arrow vy = +1 m/d drawn at the centre → ink above, none below
    lyr = QgsVectorLayer("Point?crs=EPSG:32607&field=vx:double&field=vy:double", "t", "memory")
    feat = QgsFeature(lyr.fields())
    feat.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(600000, 6700000)))
    feat.setAttributes([0.0, 1.0])
    lyr.dataProvider().addFeatures([feat])
    lyr.setRenderer(QgsSingleSymbolRenderer(styling.arrow_symbol(scale=400.0)))
    ms = QgsMapSettings()
    ms.setLayers([lyr])
    ms.setDestinationCrs(lyr.crs())
    ms.setExtent(QgsRectangle(599500, 6699500, 600500, 6700500))
    ms.setOutputSize(QSize(100, 100))
    ms.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(ms)
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    dark = [(x, y) for x in range(100) for y in range(100) if QColor(img.pixel(x, y)).value() < 128]
    ys = [y for _, y in dark]
    assert dark and max(ys) <= 52 and min(ys) < 20  # from the centre up to ~40 px above
    xs = [x for x, _ in dark]
    assert 40 <= min(xs) and max(xs) <= 60


def test_postprocessor_styles_and_groups_processing_output(qgis_app, product):
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject, QgsRasterLayer

    from glacvel_plugin import styling
    path, _ = product
    project = QgsProject.instance()
    layer = QgsRasterLayer(path, "201803")
    project.addMapLayer(layer)
    ctx = QgsProcessingContext()
    ctx.setProject(project)
    pp = styling.GlacvelLayerPostProcessor.create("run 1", arrows=True)
    assert pp in styling._POSTPROCESSORS
    pp.postProcessLayer(layer, ctx, QgsProcessingFeedback())
    assert pp.styled == [(layer.id(), "velocity")]
    group = project.layerTreeRoot().findGroup("run 1")
    names = [n.layer().name() for n in group.findLayers()]
    assert "201803" in names and any("arrows" in n for n in names)
    from qgis.core import QgsMapLayerLegendUtils
    node = project.layerTreeRoot().findLayer(layer.id())
    assert QgsMapLayerLegendUtils.legendNodeUserLabel(node, 0) == "speed (m/d)"
    # attach to the layers a Processing context will load
    ctx.addLayerToLoadOnCompletion(layer.id(), QgsProcessingContext.LayerDetails("x", project, "x"))
    assert styling.attach_postprocessors(ctx, "run 2") == 1
    assert isinstance(ctx.layerToLoadOnCompletionDetails(layer.id()).postProcessor(),
                      styling.GlacvelLayerPostProcessor)
    project.removeAllMapLayers()
    project.layerTreeRoot().removeAllChildren()


def test_shipped_qml_styles_load(qgis_app, product):
    from qgis.core import QgsRasterLayer, QgsSingleBandPseudoColorRenderer

    from glacvel_plugin.resources import resource_path
    path, _ = product
    for name, band in (("velocity_viridis.qml", 1), ("velocity_magma.qml", 1), ("error_magma.qml", 7)):
        qml = resource_path("styles", name)
        layer = QgsRasterLayer(path, "x")
        msg, ok = layer.loadNamedStyle(qml)
        assert ok, msg
        assert isinstance(layer.renderer(), QgsSingleBandPseudoColorRenderer)
        assert layer.renderer().band() == band
        assert os.path.getsize(qml) < 50_000


def test_temporal_controller_steps_through_monthly_layers(qgis_app, tmp_path):
    """Three monthly products: the Temporal Controller's monthly frames show one each."""
    from qgis.core import (QgsDateTimeRange, QgsInterval, QgsProject, QgsTemporalNavigationObject,
                           QgsUnitTypes)
    from qgis.PyQt.QtCore import QDate, QDateTime, QTime, Qt

    from glacvel_plugin import styling
    project = QgsProject.instance()
    layers = []
    for ym in ("201806", "201807", "201808"):
        path, _ = make_product(tmp_path / f"{ym}.tif", crop=(100, 160, 200, 280), with_error=False)
        layers += styling.load_output(path, "monthly 2018", project=project)
    try:
        assert [lyr.name() for lyr in layers] == ["201806", "201807", "201808"]
        nav = QgsTemporalNavigationObject()
        start = QDateTime(QDate(2018, 6, 1), QTime(0, 0), Qt.UTC)
        end = QDateTime(QDate(2018, 9, 1), QTime(0, 0), Qt.UTC)
        nav.setTemporalExtents(QgsDateTimeRange(start, end, True, False))
        nav.setFrameDuration(QgsInterval(1, QgsUnitTypes.TemporalMonths))
        assert nav.totalFrameCount() >= 3  # QGIS 3.22 counts the closing frame too
        for frame, expected in enumerate(layers):
            rng = nav.dateTimeRangeForFrameNumber(frame)
            visible = [lyr for lyr in layers
                       if lyr.temporalProperties().isVisibleInTemporalRange(rng)]
            assert visible == [expected], (frame, rng, [v.name() for v in visible])
        group = project.layerTreeRoot().findGroup("monthly 2018")
        assert len(group.findLayers()) == 3
    finally:
        project.removeAllMapLayers()
        project.layerTreeRoot().removeAllChildren()
