"""File I/O: every read and write of rasters goes through here (rasterio/GDAL)."""
