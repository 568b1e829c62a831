"""Cut the real sample crops in tests/data from the full sample data (maintainers only).

The tests read only what ships in the repository (tests/data, demo/data). This script
documents, and can redo, how the crops in tests/data were made from the larger public
sample data kept beside the repository (``../shared/data``, see each SOURCE.txt there):
pixel windows are copied unchanged (no resampling, values bit-identical), georeferencing
is the window's own, and files are rewritten with lossless DEFLATE compression.

    .venv/bin/python scripts/make_test_data.py [../shared/data]
"""
import os
import shutil
import sys

import rasterio
from rasterio.windows import Window

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data")

# (source folder, file, destination folder, destination file, (row0, col0, rows, cols) or None)
YAHTSE_WINDOW = (96, 700, 991, 998)     # rows 96-1087, cols 700-1698 of the 1087 x 1698 scenes
S1_WINDOW = (0, 0, 448, 704)            # rows 0-448, cols 0-704 of the 701 x 1135 scenes
DEM_WINDOW = (100, 200, 64, 64)
RASTERS = [
    ("yahtse_landsat8", "LC80630182016200LGN00_B8_yahtse.TIF", "yahtse_landsat8",
     "LC80630182016200LGN00_B8_yahtse_tests.TIF", YAHTSE_WINDOW),
    ("yahtse_landsat8", "LC80630182016216LGN00_B8_yahtse.TIF", "yahtse_landsat8",
     "LC80630182016216LGN00_B8_yahtse_tests.TIF", YAHTSE_WINDOW),
    ("yahtse_landsat8", "yahtse_srtm_dem.tif", "yahtse_landsat8", "yahtse_srtm_dem_crop.tif",
     DEM_WINDOW),
    ("s1_seaice_pair",
     "clip_HH_S1B_EW_GRDM_1SDH_20200301T083237_20200301T083346_020496_026D68_5471_adjusted.tif",
     "s1_seaice_pair",
     "clip_HH_S1B_EW_GRDM_1SDH_20200301T083237_20200301T083346_020496_026D68_5471_adjusted.tif",
     S1_WINDOW),
    ("s1_seaice_pair",
     "clip_HH_S1B_EW_GRDM_1SDH_20200302T073529_20200302T073629_020510_026DD5_27F9_adjusted.tif",
     "s1_seaice_pair",
     "clip_HH_S1B_EW_GRDM_1SDH_20200302T073529_20200302T073629_020510_026DD5_27F9_adjusted.tif",
     S1_WINDOW),
    ("kaskawulsh_glaft_demo", "20180304-20180405_velo-raw_vx.tif", "kaskawulsh_glaft_demo",
     "20180304-20180405_velo-raw_vx.tif", None),
    ("kaskawulsh_glaft_demo", "20180304-20180405_velo-raw_vy.tif", "kaskawulsh_glaft_demo",
     "20180304-20180405_velo-raw_vy.tif", None),
] + [("kaskawulsh_multisensor/carst_velocity", f"{stem}_velo-corrected_{c}_SNT-GAU-RSO.tif",
      "kaskawulsh_multisensor/carst_velocity", f"{stem}_velo-corrected_{c}_SNT-GAU-RSO.tif", None)
     for stem in ("LS8-062017_20180802-20180818", "Sen2-Orb14_20180508-20180518")
     for c in ("vx", "vy", "errx", "erry")]
COPIES = [
    ("yahtse_landsat8/mtl", "yahtse_landsat8/mtl"),
    ("yahtse_landsat8/LICENSE_MIT_CARST.txt", "yahtse_landsat8/LICENSE_MIT_CARST.txt"),
    ("s1_seaice_pair/LICENSE", "s1_seaice_pair/LICENSE"),
    ("kaskawulsh_glaft_demo/LICENSE_MIT_GLAFT.txt", "kaskawulsh_glaft_demo/LICENSE_MIT_GLAFT.txt"),
    ("kaskawulsh_multisensor/gps", "kaskawulsh_multisensor/gps"),
] + [(f"kaskawulsh_glaft_demo/{stem}.{ext}", f"kaskawulsh_glaft_demo/{stem}.{ext}")
     for stem in ("bedrock_V2", "glacier_V1_Kaskawulsh_s_inwardBuffer600m")
     for ext in ("cpg", "dbf", "prj", "shp", "shx")]


def crop(src, dst, window):
    """Copy ``window`` (row0, col0, rows, cols) of ``src`` (or all of it) losslessly to ``dst``."""
    with rasterio.open(src) as ds:
        win = Window(window[1], window[0], window[3], window[2]) if window else None
        data = ds.read(window=win)
        prof = ds.profile.copy()
        prof.update(width=data.shape[2], height=data.shape[1], compress="deflate", zlevel=9,
                    predictor=2 if data.dtype.kind in "ui" else 3, tiled=False)
        prof.pop("blockxsize", None)
        prof.pop("blockysize", None)
        if win is not None:
            prof["transform"] = ds.window_transform(win)
        tags = ds.tags()
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with rasterio.open(dst, "w", **prof) as out:
        out.write(data)
        out.update_tags(**tags)


def main(shared):
    for sdir, sname, ddir, dname, window in RASTERS:
        crop(os.path.join(shared, sdir, sname), os.path.join(OUT, ddir, dname), window)
    for s, d in COPIES:
        src, dst = os.path.join(shared, s), os.path.join(OUT, d)
        if os.path.isdir(src):
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(ROOT), "shared", "data"))
