"""``glacvel:velocity_dataset``: a folder of scenes → pair products → monthly products, on Dask.

Thin glue: the parameters become a :class:`glacvel_plugin.io.dataset.DatasetJob` (polygon
layers become GeoJSON geometries with their CRS), which :func:`glacvel_plugin.io.dataset.run_job`
runs on a local Dask cluster or on the cluster at SCHEDULER. See docs/dataset.md.
"""
from __future__ import annotations

import os

from qgis.core import (QgsProcessing, QgsProcessingOutputFile, QgsProcessingOutputFolder,
                       QgsProcessingOutputNumber, QgsProcessingOutputString,
                       QgsProcessingParameterDateTime, QgsProcessingParameterDefinition,
                       QgsProcessingParameterEnum, QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterFile, QgsProcessingParameterFolderDestination,
                       QgsProcessingParameterCrs, QgsProcessingParameterMultipleLayers,
                       QgsProcessingParameterNumber,
                       QgsProcessingParameterString)

from ..io.dataset import DEFAULT_CONNECT_TIMEOUT, DatasetJob, Vectors, run_job
from ..io.gnss import LAYOUTS as GNSS_LAYOUTS
from ..i18n import translate
from .alg_correlation import DEFAULT_METHOD_INDEX, METHOD_KEYS, OpticalCorrelationAlgorithm
from .base import GlacvelAlgorithm, optional_datetime
from .vector import source_geometries



def polygons(alg, parameters, name, context):
    """The polygons of a feature-source parameter as :class:`Vectors` in the layer's CRS, or None."""
    if parameters.get(name) in (None, ""):
        return None
    source = alg.parameterAsSource(parameters, name, context)
    if source is None:
        return None
    crs = source.sourceCrs()
    geoms = source_geometries(source, crs, context, "polygon", name)
    if not geoms:
        raise ValueError(translate("GlacvelMessages",
                                   "{} has no polygon; give a polygon layer with features")
                         .format(name))
    return Vectors(crs.toWkt(), geoms)


class VelocityDataset(GlacvelAlgorithm):
    """Every pair of a folder of scenes and the monthly products, resumable, on Dask."""

    ALG_ID = "velocity_dataset"
    GROUP_ID = "products"

    # parameter and output keys
    CONNECT_TIMEOUT = "CONNECT_TIMEOUT"
    SCENES = "SCENES"
    START = "START"
    END = "END"
    AREA = "AREA"
    MAX_CLOUD = "MAX_CLOUD"
    PAIRS = "PAIRS"
    MAX_SPEED = "MAX_SPEED"
    METHOD = "METHOD"
    WINDOW = "WINDOW"
    STABLE_GROUND = "STABLE_GROUND"
    WEIGHTS = "WEIGHTS"
    REFERENCE_GNSS = "REFERENCE_GNSS"
    REFERENCE_LAYOUT = "REFERENCE_LAYOUT"
    REFERENCE_CRS = "REFERENCE_CRS"
    REFERENCE_RASTER = "REFERENCE_RASTER"
    REFERENCE_POLYGONS = "REFERENCE_POLYGONS"
    RESOLUTION = "RESOLUTION"
    WORKERS = "WORKERS"
    SCHEDULER = "SCHEDULER"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    MONTHLY_FOLDER = "MONTHLY_FOLDER"
    MANIFEST = "MANIFEST"
    REPORT = "REPORT"
    MONTHS = "MONTHS"
    MONTHS_REBUILT = "MONTHS_REBUILT"

    # every pair and monthly product is written atomically on its own and finished pairs
    # are kept for the next run (resuming), so the output folder is not staged
    WRITES_IN_PLACE = (OUTPUT_FOLDER,)

    def displayName(self):
        return self.tr("Velocity dataset (folder of scenes → monthly products)")

    def shortHelpString(self):
        return self.tr(
            "Processes a whole folder of scenes into a velocity dataset: the scenes are found "
            "recursively and read as in the scene chooser (Landsat-8/9, Sentinel-2, Sentinel-1 "
            "and UAV rasters; times from product names, MTL files or tags), filtered by START/END, "
            "MAX_CLOUD and AREA, and paired by the chooser's rules (first and last usable scene "
            "of each month, bridged to the next scene within 48 days; Sentinel-1 24/36 days) or "
            "by a CSV pair list (columns reference, secondary). Every optical pair is correlated "
            "(METHOD, WINDOW; MAX_SPEED in m/d sets the search range; 30 m output grid), "
            "every Sentinel-1 pair offset-tracked and every UAV pair feature-tracked (as "
            "Sentinel-1 offset tracking and UAV feature tracking with their defaults) into "
            "OUTPUT_FOLDER/pairs; with STABLE_GROUND polygons the "
            "co-registration offset is removed and error bands added. Monthly products "
            "OUTPUT_FOLDER/monthly/YYYYMM.tif (v, vx, vy, v_error, count, ...) are built as by "
            "Monthly velocity, on a grid of RESOLUTION metres (over AREA when given, no data outside "
            "it), fused with WEIGHTS ('L8=0.6,S2=0.4'; empty = inverse variance), or with "
            "weights fitted per month against GNSS stations (REFERENCE_GNSS: a folder of "
            "station files in REFERENCE_LAYOUT, coordinates in REFERENCE_CRS, as Import GNSS "
            "stations reads them; the fallbacks, tags and leave-one-station-out validation of "
            "Monthly velocity, table monthly/monthly_weights.csv), or against reference "
            "velocity rasters (REFERENCE_RASTER, e.g. UAV velocity with the START_TIME/END_TIME "
            "of its survey period; one raster per period) inside REFERENCE_POLYGONS (each "
            "polygon one held-out group), as Monthly velocity does with them. "
            "manifest.csv lists every scene and pair with its status (done, failed, skipped) "
            "and the reason, Δt, offsets, stable-ground NMAD, valid fraction, run time and "
            "worker; report.html summarises the months.\n\n"
            "One Dask task per pair, on WORKERS local processes (0 = the machine's cores) or "
            "on the Dask cluster at SCHEDULER (e.g. tcp://host:8786; scenes and output "
            "folder on shared storage). A failed pair never stops the others; a worker that "
            "dies has its pairs re-run elsewhere. Running the job again skips every complete "
            "product (checked), re-runs failed or missing pairs and rebuilds only the months "
            "they touch.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFile(
            self.SCENES, self.tr("Scene folder (searched recursively)"),
            behavior=QgsProcessingParameterFile.Folder))
        self.addParameter(QgsProcessingParameterDateTime(
            self.START, self.tr("Start (UTC; empty = first scene)"), optional=True))
        self.addParameter(QgsProcessingParameterDateTime(
            self.END, self.tr("End (UTC; empty = last scene)"), optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.AREA, self.tr("Area (polygons: scenes and monthly cells inside them)"),
            [QgsProcessing.TypeVectorPolygon], optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_CLOUD, self.tr("Maximum cloud cover [%]"), QgsProcessingParameterNumber.Double,
            30.0, minValue=0.0, maxValue=100.0))
        self.addParameter(QgsProcessingParameterFile(
            self.PAIRS, self.tr("Pair list (CSV: reference, secondary; empty = proposed pairs)"),
            extension="csv", optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_SPEED, self.tr("Maximum speed [m/d] (sets the search range)"),
            QgsProcessingParameterNumber.Double, 20.0, minValue=0.001))
        correlation = OpticalCorrelationAlgorithm()
        correlation.initAlgorithm()
        self.addParameter(QgsProcessingParameterEnum(
            self.METHOD, self.tr("Correlation method"),
            correlation.parameterDefinition(correlation.METHOD).options(),
            defaultValue=DEFAULT_METHOD_INDEX))
        self.addParameter(QgsProcessingParameterNumber(
            self.WINDOW, self.tr("Window [px]"), QgsProcessingParameterNumber.Integer, 32,
            minValue=8, maxValue=1024))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.STABLE_GROUND, self.tr("Stable-ground polygons (co-registration and error)"),
            [QgsProcessing.TypeVectorPolygon], optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.WEIGHTS, self.tr("Fusion weights by source, e.g. L8=0.6,S2=0.4 (empty: inverse "
                               "variance)"), optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.REFERENCE_GNSS, self.tr("GNSS reference: folder of station files (weights "
                                      "fitted per month; empty: WEIGHTS)"),
            behavior=QgsProcessingParameterFile.Folder, optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.REFERENCE_LAYOUT, self.tr("GNSS file layout"), list(GNSS_LAYOUTS),
            defaultValue=0))
        self.addParameter(QgsProcessingParameterCrs(
            self.REFERENCE_CRS, self.tr("CRS of the GNSS coordinates (empty: the monthly grid's)"),
            optional=True))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.REFERENCE_RASTER, self.tr("Reference velocity rasters (e.g. UAV, one per survey "
                                        "period; weights fitted per month)"),
            QgsProcessing.TypeRaster, optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.REFERENCE_POLYGONS, self.tr("Reference polygons (where the reference rasters "
                                          "are used)"),
            [QgsProcessing.TypeVectorPolygon], optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.RESOLUTION, self.tr("Monthly grid resolution [m]"),
            QgsProcessingParameterNumber.Double, 30.0, minValue=0.001))
        self.addParameter(QgsProcessingParameterNumber(
            self.WORKERS, self.tr("Local Dask worker processes (0 = the machine's cores)"),
            QgsProcessingParameterNumber.Integer, 0, minValue=0, maxValue=1024))
        self.addParameter(QgsProcessingParameterString(
            self.SCHEDULER, self.tr("Dask scheduler address (empty = local cluster), e.g. "
                                 "tcp://host:8786"), optional=True))
        timeout = QgsProcessingParameterNumber(
            self.CONNECT_TIMEOUT, self.tr("Scheduler connection timeout [s]"),
            QgsProcessingParameterNumber.Double, DEFAULT_CONNECT_TIMEOUT, minValue=0.5)
        timeout.setFlags(timeout.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(timeout)
        self.addParameter(QgsProcessingParameterFolderDestination(
            self.OUTPUT_FOLDER, self.tr("Output folder")))
        self.addOutput(QgsProcessingOutputFolder(self.MONTHLY_FOLDER, self.tr("Monthly products")))
        self.addOutput(QgsProcessingOutputFile(self.MANIFEST, self.tr("Manifest")))
        self.addOutput(QgsProcessingOutputFile(self.REPORT, self.tr("Dataset report")))
        for key in ("PAIRS_TOTAL", "PAIRS_DONE", "PAIRS_FAILED", "PAIRS_SKIPPED", "PAIRS_RUN"):
            self.addOutput(QgsProcessingOutputNumber(key, key))
        self.addOutput(QgsProcessingOutputString(self.MONTHS, self.tr("Months written")))
        self.addOutput(QgsProcessingOutputString(self.MONTHS_REBUILT, self.tr("Months rebuilt")))

    def job(self, parameters, context) -> DatasetJob:
        """The :class:`DatasetJob` of the parameters."""
        pairs = self.parameterAsFile(parameters, self.PAIRS, context) \
            if parameters.get(self.PAIRS) not in (None, "") else None
        scheduler = self.parameterAsString(parameters, self.SCHEDULER, context).strip() or None
        return DatasetJob(
            scenes=self.parameterAsFile(parameters, self.SCENES, context),
            output=self.parameterAsString(parameters, self.OUTPUT_FOLDER, context),
            start=optional_datetime(self, parameters, self.START, context),
            end=optional_datetime(self, parameters, self.END, context),
            area=polygons(self, parameters, self.AREA, context),
            max_cloud=self.parameterAsDouble(parameters, self.MAX_CLOUD, context),
            pairs_csv=pairs or None,
            max_speed=self.parameterAsDouble(parameters, self.MAX_SPEED, context),
            method=METHOD_KEYS[self.parameterAsEnum(parameters, self.METHOD, context)],
            window=self.parameterAsInt(parameters, self.WINDOW, context),
            stable_ground=polygons(self, parameters, self.STABLE_GROUND, context),
            weights=self.parameterAsString(parameters, self.WEIGHTS, context) or "",
            reference_gnss=gnss_files(self.parameterAsFile(parameters, self.REFERENCE_GNSS,
                                                           context)
                                      if parameters.get(self.REFERENCE_GNSS) else ""),
            reference_layout=list(GNSS_LAYOUTS)[
                self.parameterAsEnum(parameters, self.REFERENCE_LAYOUT, context)],
            reference_crs=(self.parameterAsCrs(parameters, self.REFERENCE_CRS, context).toWkt()
                           if parameters.get(self.REFERENCE_CRS) else None),
            reference_raster=[lyr.source() for lyr in self.parameterAsLayerList(
                parameters, self.REFERENCE_RASTER, context)] or None
            if parameters.get(self.REFERENCE_RASTER) not in (None, "", []) else None,
            reference_polygons=polygons(self, parameters, self.REFERENCE_POLYGONS, context),
            resolution=self.parameterAsDouble(parameters, self.RESOLUTION, context),
            workers=self.parameterAsInt(parameters, self.WORKERS, context) or None,
            scheduler=scheduler,
            connect_timeout=self.parameterAsDouble(parameters, self.CONNECT_TIMEOUT, context))

    def process(self, parameters, context, feedback):
        job = self.job(parameters, context)

        def progress(done, total):
            feedback.setProgress(100.0 * done / max(total, 1))

        res = run_job(job, progress=progress, is_canceled=feedback.isCanceled,
                      log=feedback.pushInfo)
        for r in res.rows:
            if r.get("kind") == "pair" and r["status"] == "failed":
                feedback.pushWarning(f"{r['name']}: {r['reason']}")
        none = self.tr("none")
        feedback.pushInfo(self.tr(
            "{} of {} pairs done ({} run now), {} failed, {} skipped; months {} (rebuilt: {}); "
            "manifest {}").format(
                res.pairs_done, res.pairs_total, res.pairs_run, res.pairs_failed,
                res.pairs_skipped, ", ".join(res.months) or none,
                ", ".join(res.months_rebuilt) or none, res.manifest))
        return {self.OUTPUT_FOLDER: job.output, self.MONTHLY_FOLDER: res.monthly_folder,
                self.MANIFEST: res.manifest, self.REPORT: res.report,
                "PAIRS_TOTAL": res.pairs_total, "PAIRS_DONE": res.pairs_done,
                "PAIRS_FAILED": res.pairs_failed, "PAIRS_SKIPPED": res.pairs_skipped,
                "PAIRS_RUN": res.pairs_run, self.MONTHS: ",".join(res.months),
                self.MONTHS_REBUILT: ",".join(res.months_rebuilt),
                "FILES": [os.path.join(res.monthly_folder, f"{m}.tif") for m in res.months]}



def gnss_files(folder: str):
    """The station files of a GNSS folder (every visible regular file, sorted), or None."""
    if not folder:
        return None
    if not os.path.isdir(folder):
        raise ValueError(translate("GlacvelMessages",
                                   "REFERENCE_GNSS: {} is not a folder; give the folder that "
                                   "holds the GNSS station files").format(folder))
    files = sorted(os.path.join(folder, n) for n in os.listdir(folder)
                   if not n.startswith(".") and os.path.isfile(os.path.join(folder, n)))
    if not files:
        raise ValueError(translate("GlacvelMessages",
                                   "REFERENCE_GNSS: the folder {} holds no file").format(folder))
    return files


ALGORITHMS = [VelocityDataset]
