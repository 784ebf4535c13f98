"""The output set: what a run may replace, what it must refuse, and all-or-nothing commits."""

from __future__ import annotations

import hashlib
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
import rasterio
from osgeo import ogr, osr
from rasterio.transform import from_origin

from soil_conservation_plugin.core.common.errors import CancelledError, ChecksFailed, InputError
from soil_conservation_plugin.core.common.io import MARKER, atomic_path, output_set, staged_path, write_json


def digest(folder: Path) -> dict:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def make_gpkg(path: Path, layers: dict) -> None:
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4530)
    for name, value in layers.items():
        lyr = ds.CreateLayer(name, srs, ogr.wkbPolygon)
        lyr.CreateField(ogr.FieldDefn("v", ogr.OFTInteger))
        feat = ogr.Feature(lyr.GetLayerDefn())
        feat.SetField("v", value)
        feat.SetGeometry(ogr.CreateGeometryFromWkt("POLYGON((0 0,1 0,1 1,0 0))"))
        lyr.CreateFeature(feat)
    ds = None


def layer_values(path: Path) -> dict:
    ds = ogr.Open(str(path))
    out = {ds.GetLayer(i).GetName(): [f.GetField("v") for f in ds.GetLayer(i)] for i in range(ds.GetLayerCount())}
    ds = None
    return out


def write_tif(path: Path, value: float = 1.0) -> None:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=64,
        height=64,
        count=1,
        dtype="float32",
        crs="EPSG:4530",
        transform=from_origin(0, 64, 1, 1),
        compress="deflate",
    ) as dst:
        dst.write(np.full((1, 64, 64), value, dtype="float32"))


def test_a_file_output_never_replaces_a_folder(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "keep.txt").write_text("用户的文件", encoding="utf-8")
    before = digest(tmp_path)
    with pytest.raises(InputError, match="existing folder") as err:
        write_json(folder, {"a": 1})
    assert "已有文件夹" in str(err.value)
    assert digest(tmp_path) == before


@pytest.mark.parametrize("ours", [False, True])
def test_a_folder_output_replaces_only_a_folder_the_plugin_wrote(tmp_path, ours):
    target = tmp_path / "pkg"
    target.mkdir()
    (target / "old.txt").write_text("旧", encoding="utf-8")
    if ours:
        (target / MARKER).write_text("{}", encoding="utf-8")
    before = digest(tmp_path)

    def build():
        with atomic_path(target, folder=True) as tmp:
            tmp.mkdir()
            (tmp / "new.txt").write_text("新", encoding="utf-8")

    if not ours:
        with pytest.raises(InputError, match="not written by this plugin"):
            build()
        assert digest(tmp_path) == before
    else:
        build()
        assert sorted(p.name for p in target.iterdir()) == sorted([MARKER, "new.txt"])
        assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


def test_an_empty_folder_may_become_a_folder_output(tmp_path):
    target = tmp_path / "pkg"
    target.mkdir()
    with atomic_path(target, folder=True) as tmp:
        tmp.mkdir()
        (tmp / "a.txt").write_text("a", encoding="utf-8")
    assert (target / "a.txt").is_file() and (target / MARKER).is_file()


def test_a_geopackage_output_adds_or_replaces_only_its_own_layers(tmp_path):
    user = tmp_path / "p.gpkg"
    make_gpkg(user, {"county": 1, "townships": 2})
    with atomic_path(user) as tmp:  # an earlier run of the plugin added its layer to the user's GeoPackage
        make_gpkg(tmp, {"steep_slope": 3})
    with output_set(inputs=[(str(user), "county")]), atomic_path(user) as tmp:
        make_gpkg(tmp, {"steep_slope": 30, "steep_extra": 40})
    assert layer_values(user) == {"county": [1], "townships": [2], "steep_slope": [30], "steep_extra": [40]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.gpkg"]


def test_a_users_own_layer_named_like_an_output_layer_is_never_replaced(tmp_path):
    user = tmp_path / "p.gpkg"
    make_gpkg(user, {"county": 1, "townships": 2})
    before = digest(tmp_path)
    with output_set() as outputs:  # refused as soon as the layer names are known, before any work
        outputs.claim(user, "Roll-up GeoPackage")
        with pytest.raises(InputError, match="图层 county 不是本插件写入的.*p.gpkg"):
            outputs.check_layers(user, ["county", "province"])
    for layers in ({"county": 10}, {"county": 10, "townships": 20}, {"county": 10, "other": 30}):
        with pytest.raises(InputError, match="not written by this plugin"), atomic_path(user) as tmp:
            make_gpkg(tmp, layers)
        assert digest(tmp_path) == before
    with atomic_path(user) as tmp:  # other names are added, and then the plugin's own layer may be replaced
        make_gpkg(tmp, {"other": 30})
    with atomic_path(user) as tmp:
        make_gpkg(tmp, {"other": 31})
    assert layer_values(user) == {"county": [1], "townships": [2], "other": [31]}


def test_a_geopackage_layer_that_is_an_input_is_never_replaced(tmp_path):
    user = tmp_path / "p.gpkg"
    make_gpkg(user, {"county": 1, "steep_slope": 3})
    before = digest(tmp_path)
    inputs = [(str(user), "steep_slope")]
    with pytest.raises(InputError, match="input of this run"), output_set(inputs=inputs), atomic_path(user) as tmp:
        make_gpkg(tmp, {"steep_slope": 30})
    assert digest(tmp_path) == before


def test_a_geopackage_holding_only_the_runs_layers_is_replaced_whole(tmp_path):
    out = tmp_path / "units.gpkg"
    with atomic_path(out) as tmp:  # a GeoPackage the plugin created
        make_gpkg(tmp, {"units": 1, "outlets": 2})
    with atomic_path(out) as tmp:
        make_gpkg(tmp, {"units": 10, "outlets": 20})
    assert layer_values(out) == {"units": [10], "outlets": [20]}
    with atomic_path(out) as tmp:  # a layer this run does not write stays
        make_gpkg(tmp, {"units": 100})
    assert layer_values(out) == {"units": [100], "outlets": [20]}


def test_an_output_that_is_an_input_file_is_refused(tmp_path):
    dem = tmp_path / "dem.tif"
    write_tif(dem)
    before = digest(tmp_path)
    with pytest.raises(InputError, match="input of this run"), output_set(inputs=[(str(dem), None)]) as outputs:
        outputs.claim(dem, "Slope")
    assert digest(tmp_path) == before


def test_all_or_nothing_when_the_run_fails_after_some_files(tmp_path):
    (tmp_path / "a.csv").write_text("old a", encoding="utf-8")
    before = digest(tmp_path)
    with pytest.raises(RuntimeError), output_set():
        write_json(tmp_path / "meta.json", {"x": 1})
        with atomic_path(tmp_path / "a.csv") as tmp:
            tmp.write_text("new a", encoding="utf-8")
        assert not (tmp_path / "meta.json").exists()  # nothing moves before the whole run succeeds
        raise RuntimeError("a later step failed")
    assert digest(tmp_path) == before


def test_staged_files_are_readable_before_the_commit(tmp_path):
    with output_set():
        write_json(tmp_path / "m.json", {"x": 1})
        assert staged_path(tmp_path / "m.json").read_text(encoding="utf-8").strip().startswith("{")
    assert (tmp_path / "m.json").is_file()


def test_cancel_before_the_commit_writes_nothing(tmp_path):
    flag = {"cancel": False}
    with pytest.raises(CancelledError), output_set(cancelled=lambda: flag["cancel"]):
        write_json(tmp_path / "m.json", {"x": 1})
        flag["cancel"] = True  # e.g. SIGINT arrived after the last step
    assert list(tmp_path.iterdir()) == []


def test_checks_failed_keeps_the_report(tmp_path):
    with pytest.raises(ChecksFailed), output_set():
        write_json(tmp_path / "report.json", {"errors": 3})
        raise ChecksFailed("layer", "发现 3 个错误", "3 errors found")
    assert (tmp_path / "report.json").is_file()


def test_overwrite_off_is_checked_again_at_commit(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(InputError, match="not overwritten"), output_set(overwrite=False):
        write_json(target, {"mine": 1})
        target.write_text("someone else's", encoding="utf-8")  # appeared while the run worked
    assert target.read_text(encoding="utf-8") == "someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_second_run_on_the_same_output_is_refused_while_the_first_works(tmp_path):
    target = tmp_path / "out.json"
    started, release, errors = threading.Event(), threading.Event(), []

    def first():
        with output_set() as outputs:
            outputs.claim(target, "first")
            started.set()
            release.wait(10)
            write_json(target, {"run": 1})

    worker = threading.Thread(target=first)
    worker.start()
    started.wait(10)
    try:
        with pytest.raises(InputError, match="another run is writing this output") as err, output_set() as outputs:
            outputs.claim(target, "second")
        errors.append(err)
    finally:
        release.set()
        worker.join()
    assert errors and '"run": 1' in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # the lock file is gone too


def test_a_truncated_raster_never_gets_its_final_name(tmp_path):
    final = tmp_path / "slope.tif"
    write_tif(final, 5.0)
    before = digest(tmp_path)
    with pytest.raises(InputError, match="not written completely"), atomic_path(final) as tmp:
        write_tif(tmp, 7.0)
        data = tmp.read_bytes()
        tmp.write_bytes(data[: len(data) // 2])  # what a full disk leaves behind
    assert digest(tmp_path) == before


def test_a_real_full_disk(tmp_path):
    """A 64 KiB tmpfs (root may mount it; skipped with the reason where mounting is not permitted)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        write_tif(mnt / "old.tif", 1.0)
        before = digest(mnt)
        big = {
            "driver": "GTiff",
            "width": 2000,
            "height": 2000,
            "count": 1,
            "dtype": "float64",
            "crs": "EPSG:4530",
            "transform": from_origin(0, 2000, 1, 1),
        }
        disk_full = (InputError, OSError, rasterio.errors.RasterioError)
        with pytest.raises(disk_full), atomic_path(mnt / "old.tif") as tmp, rasterio.open(tmp, "w", **big) as dst:
            dst.write(np.random.default_rng(1).random((1, 2000, 2000)))
        assert digest(mnt) == before
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_a_read_only_output_folder_is_refused_before_any_work(tmp_path):
    mnt = tmp_path / "ro"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("mounting a read-only tmpfs is not permitted here")
    try:
        with pytest.raises(InputError, match="not writable"), output_set() as outputs:
            outputs.claim(mnt / "out.tif", "Slope")
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_a_folder_the_run_writes_into_must_be_new_empty_or_the_plugins(tmp_path):
    user = tmp_path / "my_tables"
    user.mkdir()
    (user / "notes.csv").write_text("用户的表", encoding="utf-8")
    before = digest(tmp_path)
    with pytest.raises(InputError, match="not written by this plugin"), output_set() as outputs:
        outputs.claim_folder(user, "Folder for tables")
    assert digest(tmp_path) == before
    fresh = tmp_path / "tables"
    with output_set() as outputs:
        outputs.claim_folder(fresh, "Folder for tables")
        write_json(fresh / "county.json", {"ha": 1.0})
    assert (fresh / MARKER).is_file()
    with output_set() as outputs:  # the plugin's own folder: written into again
        outputs.claim_folder(fresh, "Folder for tables")
        write_json(fresh / "county.json", {"ha": 2.0})
    assert '"ha": 2.0' in (fresh / "county.json").read_text(encoding="utf-8")


def test_a_folder_holding_only_the_runs_own_outputs_in_progress_counts_as_new(tmp_path):
    folder = tmp_path / "steep_slope"
    with output_set() as outputs:
        outputs.claim(folder / "steep.gpkg", "Patches")  # leaves its lock file in the folder
        outputs.claim_folder(folder, "Folder for tables")
        write_json(folder / "county.json", {"ha": 1.0})
    assert sorted(p.name for p in folder.iterdir()) == sorted([MARKER, "county.json"])
