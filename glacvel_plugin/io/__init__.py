"""File access: every raster read and write (rasterio/GDAL), the GNSS CSV files and the
atomic CSV/HTML outputs. Vector layers are read and written by QGIS in
``processing_provider/`` (feature sources and sinks)."""
