"""glacvel_plugin.io.guard without QGIS: file families, the checks, the transaction,
stale temporaries; ProductWriter and atomic_write_text errors naming the user's file."""
import os
import subprocess
import time

import numpy as np
import pytest
from rasterio.crs import CRS
from rasterio.transform import from_origin

from glacvel_plugin.io import guard
from glacvel_plugin.io.files import atomic_write_text
from glacvel_plugin.io.product import ProductWriter, write_product
from tests.conftest import ROOT

BEDROCK = os.path.join(ROOT, "demo", "data", "kaskawulsh", "stable_ground", "bedrock_V1.shp")


def _dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_shapefile_family_has_every_sidecar():
    fam = guard.family(BEDROCK, existing_only=True)
    names = sorted(os.path.basename(p) for p in fam.values())
    assert names == ["bedrock_V1." + e for e in ("cpg", "dbf", "prj", "qpj", "shp", "shx")]
    # naming any sidecar gives the same family
    assert guard.family(BEDROCK.replace(".shp", ".dbf"), existing_only=True) == fam


def test_check_outputs_sidecar_symlink_and_each_other(tmp_path):
    link = tmp_path / "link"
    os.symlink(os.path.dirname(BEDROCK), link)
    inputs = [("STABLE_GROUND", BEDROCK)]
    with pytest.raises(guard.OutputGuardError, match=r"OUTPUT_TABLE: .*bedrock_V1\.prj would "
                       r"overwrite bedrock_V1\.prj, a file of one of the inputs "
                       r"\(STABLE_GROUND: .*symbolic link"):
        guard.check_outputs([guard.Output("OUTPUT_TABLE", str(link / "bedrock_V1.prj"),
                                          "vector")], inputs)
    a = guard.Output("A", str(tmp_path / "x.shp"), "vector", (".shp",))
    b = guard.Output("B", str(tmp_path / "x.dbf"), "vector", (".dbf",))
    with pytest.raises(guard.OutputGuardError, match="B: .* is also the output A"):
        guard.check_outputs([a, b], inputs)
    guard.check_outputs([a], inputs)  # a new shapefile elsewhere is fine


def test_check_extension_messages(tmp_path):
    out = guard.Output("OUTPUT", str(tmp_path / "v.png"), "raster", guard.RASTER_EXTENSIONS,
                       "a GeoTIFF")
    with pytest.raises(guard.OutputGuardError,
                       match=r"OUTPUT: .*v\.png has the extension '\.png', but this output is "
                             r"written as a GeoTIFF; name it v\.tif"):
        guard.check_extension(out)
    guard.check_extension(guard.Output("OUTPUT", "v.TIF", "raster", guard.RASTER_EXTENSIONS))


def test_transaction_commit_moves_everything_and_keeps_nothing_else(tmp_path):
    (tmp_path / "old.csv").write_text("old")
    tx = guard.OutputTransaction()
    a = tx.stage_file("OUTPUT_CSV", str(tmp_path / "old.csv"))
    b = tx.stage_file("OUTPUT", str(tmp_path / "new" / "v.tif"))
    m = tx.stage_folder("OUTPUT_FOLDER", str(tmp_path / "months"))
    for p, text in ((a, "new"), (b, "tif"), (os.path.join(m, "201803.tif"), "month")):
        with open(p, "w") as f:
            f.write(text)
    assert (tmp_path / "old.csv").read_text() == "old"       # nothing visible before commit
    assert not (tmp_path / "new" / "v.tif").exists()
    assert tx.final_text(f"wrote {b}") == f"wrote {tmp_path / 'new' / 'v.tif'}"
    tx.commit()
    assert (tmp_path / "old.csv").read_text() == "new"
    assert (tmp_path / "new" / "v.tif").read_text() == "tif"
    assert (tmp_path / "months" / "201803.tif").read_text() == "month"
    for d in (tmp_path, tmp_path / "new", tmp_path / "months"):
        assert not [n for n in os.listdir(d) if n.startswith(".glacvel-")]


def test_transaction_rollback_removes_created_folders(tmp_path):
    tx = guard.OutputTransaction()
    p = tx.stage_file("OUTPUT", str(tmp_path / "a" / "b" / "v.tif"))
    open(p, "w").close()
    tx.rollback()
    assert os.listdir(tmp_path) == []


def test_commit_failure_restores_the_old_outputs(tmp_path, monkeypatch):
    (tmp_path / "a.csv").write_text("old a")
    (tmp_path / "b.csv").write_text("old b")
    tx = guard.OutputTransaction()
    for name in ("a.csv", "b.csv"):
        with open(tx.stage_file(name, str(tmp_path / name)), "w") as f:
            f.write("new")
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 4:  # a aside, a in, b aside, then b in fails
            raise OSError(28, "No space left on device")
        return real(src, dst)
    monkeypatch.setattr(guard.os, "replace", flaky)
    with pytest.raises(OSError, match="the disk is full.*nothing was written"):
        tx.commit()
    monkeypatch.setattr(guard.os, "replace", real)
    assert (tmp_path / "a.csv").read_text() == "old a"
    assert (tmp_path / "b.csv").read_text() == "old b"
    assert sorted(os.listdir(tmp_path)) == ["a.csv", "b.csv"]


def test_stale_temporaries(tmp_path):
    host = guard._host_tag()
    dead = tmp_path / f".glacvel-{host}-{_dead_pid()}-0badcafe"
    dead.mkdir()
    (dead / "v.tif").write_text("x")
    mine = tmp_path / f"{guard.temp_prefix()}live.tif"
    mine.write_text("x")
    other = tmp_path / ".glacvel-000000-1-00000000"
    other.mkdir()
    legacy = tmp_path / ".glacvel-abcdefgh.tif"
    legacy.write_text("x")
    keep = tmp_path / "user.tif"
    keep.write_text("x")
    removed = guard.remove_stale_temporaries(str(tmp_path))
    assert removed == [dead.name]
    later = time.time() + guard.STALE_SECONDS + 60
    removed = guard.remove_stale_temporaries(str(tmp_path), now=later)
    assert sorted(removed) == sorted([other.name, legacy.name])
    assert sorted(os.listdir(tmp_path)) == sorted([mine.name, keep.name])


def test_product_writer_refuses_input_through_symlink(tmp_path):
    src = tmp_path / "in.tif"
    write_product(str(src), {"vx": np.zeros((4, 4))}, from_origin(0, 0, 1, 1),
                  CRS.from_epsg(32607), {})
    os.symlink(tmp_path, tmp_path / "link")
    with pytest.raises(ValueError, match="is one of the inputs"):
        ProductWriter(str(tmp_path / "link" / "in.tif"), ["vx"], 4, 4, from_origin(0, 0, 1, 1),
                      CRS.from_epsg(32607), {}, protect=[str(src)])


def test_write_errors_name_the_users_file(tmp_path):
    """A folder that vanishes during the write: the error names the output, not the
    hidden temporary file."""
    folder = tmp_path / "out"
    path = folder / "table.csv"

    def write(f):
        f.write("a,b\n")
        for name in os.listdir(folder):
            os.remove(folder / name)
        os.rmdir(folder)
    with pytest.raises(OSError) as err:
        atomic_write_text(str(path), write)
    assert str(path) in str(err.value) and ".glacvel-" not in str(err.value)
