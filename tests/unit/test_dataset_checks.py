"""The dataset job refuses parameters that cannot work before it tracks any pair.

On the synthetic year of real Yahtse texture (tests/synthetic_dataset.py, 200 × 200 px
scenes): a bad RESOLUTION, WINDOW, PAIRS list, AREA, STABLE_GROUND, WEIGHTS or GNSS
reference stops the job with a message naming the parameter and what to change, and
leaves no pair product, no manifest and no monthly product behind.
"""
import glob
import os

import pytest

from glacvel_plugin.io.dataset import DatasetJob, Vectors, read_geojson, run_job
from tests.synthetic_dataset import make_year, stable_geojson


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    root = tmp_path_factory.mktemp("checks")
    desc = make_year(str(root / "scenes"), corrupt=False, cloudy=False)
    desc["root"] = str(root)
    desc["stable"] = read_geojson(stable_geojson(str(root / "stable.geojson")))
    return desc


def _refused(year, tmp_path, match, **kw):
    out = str(tmp_path / "out")
    kw.setdefault("max_speed", 3.0)
    kw.setdefault("workers", 1)
    job = DatasetJob(os.path.join(year["root"], "scenes"), out, **kw)
    with pytest.raises(ValueError, match=match) as err:
        run_job(job)
    # nothing tracked: no pair product (not even a temporary one), no manifest, no month
    assert not glob.glob(os.path.join(out, "pairs", "*")) and \
        not glob.glob(os.path.join(out, "pairs", ".*"))
    assert not os.path.exists(os.path.join(out, "manifest.csv"))
    assert not os.path.exists(os.path.join(out, "monthly"))
    return str(err.value)


@pytest.mark.parametrize("res, match, hint", [
    (0.001, r"RESOLUTION 0\.001 m over the 3 × 3 km extent gives a 3,000,000 × "
            r"3,000,000 px grid", "or coarser, or a smaller AREA"),
    (50000.0, r"RESOLUTION 50000 m is coarser than the extent of the scenes", "or finer"),
    (0.0, r"RESOLUTION must be a positive number", "use e.g. 30"),
    (float("nan"), r"RESOLUTION must be a positive number", "use e.g. 30"),
])
def test_bad_resolution_is_refused_before_any_pair(year, tmp_path, res, match, hint):
    msg = _refused(year, tmp_path, match, resolution=res)
    assert hint in msg


def test_too_fine_resolution_names_the_finest_that_works(year, tmp_path):
    msg = _refused(year, tmp_path, r"RESOLUTION 0\.001 m", resolution=0.001)
    # 3 km × 3 km scenes: 10⁹ cells at most, i.e. 0.095 m, or coarser on a fuller disk
    finest = float(msg.split("use RESOLUTION ")[1].split(" m")[0])
    assert 0.09 < finest < 1500


def test_window_larger_than_the_scenes_is_refused(year, tmp_path):
    msg = _refused(year, tmp_path, r"WINDOW 256 px is larger than the 200 × 200 px overlap",
                   window=256)
    assert "use WINDOW 200 px or less" in msg
    _refused(year, tmp_path, r"WINDOW 4 px is too small", window=4)


def test_pair_list_without_the_columns_or_pairs_is_refused(year, tmp_path):
    bad = tmp_path / "pairs.csv"
    bad.write_text("first_scene,second_scene\na.TIF,b.TIF\n")
    msg = _refused(year, tmp_path, r"PAIRS .*pairs\.csv has the columns first_scene, "
                   "second_scene", pairs_csv=str(bad))
    assert "'reference' and 'secondary'" in msg
    bad.write_text("reference,secondary\n")
    _refused(year, tmp_path, r"PAIRS .*pairs\.csv lists no pair", pairs_csv=str(bad))
    names = [os.path.basename(p) for p in year["scenes"]]
    bad.write_text(f"reference,secondary\n{names[0]},{names[1]}\n{names[1]},missing.TIF\n")
    _refused(year, tmp_path, r"PAIRS .*line 3: missing\.TIF is not a usable scene",
             pairs_csv=str(bad))


def test_area_and_stable_ground_without_crs_or_off_the_scenes_are_refused(year, tmp_path):
    stable = year["stable"]
    _refused(year, tmp_path, r"AREA has no valid CRS", area=Vectors("", stable.geometries))
    _refused(year, tmp_path, r"STABLE_GROUND has no valid CRS",
             stable_ground=Vectors("not a crs", stable.geometries))

    def north(c):           # 50 km north of the scenes
        return [c[0], c[1] + 50000.0] if isinstance(c[0], float) else [north(x) for x in c]
    far = [dict(g, coordinates=north(g["coordinates"])) for g in stable.geometries]
    _refused(year, tmp_path, r"STABLE_GROUND covers none of the scenes",
             stable_ground=Vectors(stable.crs_wkt, far))


def test_weights_and_references_are_checked_up_front(year, tmp_path):
    _refused(year, tmp_path, r"WEIGHTS 'L8=abc': weight of 'L8' is not a number",
             weights="L8=abc")
    gnss = tmp_path / "stations.csv"
    gnss.write_text("station,start_date,end_date,x,y,vx,vy\n"
                    "S1,2023-01-15,2023-02-15,481000,6668000,0.5,abc\n")
    _refused(year, tmp_path, r"either fixed WEIGHTS or a GNSS reference",
             weights="L8=1", reference_gnss=[str(gnss)], reference_layout="velocity")
    _refused(year, tmp_path, r"REFERENCE_GNSS: .*stations\.csv, line 2, column 'vy'",
             reference_gnss=[str(gnss)], reference_layout="velocity")
    _refused(year, tmp_path, r"unknown REFERENCE_LAYOUT 'csv'",
             reference_gnss=[str(gnss)], reference_layout="csv")
