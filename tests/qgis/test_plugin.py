"""The plugin as QGIS sees it: provider registration, unload, metadata, package, qgis_process."""
import configparser
import os
import shutil
import subprocess
import zipfile

import pytest

from tests.conftest import ROOT

QGIS_PROCESS = shutil.which("qgis_process.bin") or "/usr/bin/qgis_process.bin"


def test_metadata_is_complete_and_matches_the_package_version():
    import glacvel_plugin
    cp = configparser.ConfigParser()
    cp.read(os.path.join(ROOT, "metadata.txt"), encoding="utf-8")
    g = cp["general"]
    for key in ("name", "qgisMinimumVersion", "description", "about", "version", "author",
                "email", "repository", "tracker", "homepage", "tags", "category", "icon",
                "hasProcessingProvider", "experimental", "changelog", "license"):
        assert g.get(key), f"metadata.txt lacks {key}"
    assert g["qgisMinimumVersion"] == "3.22" and g["hasProcessingProvider"] == "yes"
    assert g["version"] == glacvel_plugin.__version__
    assert os.path.exists(os.path.join(ROOT, g["icon"]))


def test_class_factory_without_iface_registers_and_unloads_the_provider(qgis_app):
    from qgis.core import QgsApplication

    import glacvel_plugin
    registry = QgsApplication.processingRegistry()
    existing = registry.providerById("glacvel")
    if existing is not None:  # registered by another test's fixture: take it out first
        registry.removeProvider(existing)
    plugin = glacvel_plugin.classFactory(None)
    plugin.initProcessing()
    provider = registry.providerById("glacvel")
    assert provider is not None and provider.name() == "Glacier velocity"
    assert not provider.icon().isNull()
    plugin.unload()
    assert registry.providerById("glacvel") is None


def test_all_algorithm_modules_import_and_use_known_groups(qgis_app):
    from glacvel_plugin.processing_provider.base import GROUPS
    from glacvel_plugin.processing_provider.provider import algorithm_classes
    for cls in algorithm_classes(strict=True):
        alg = cls()
        assert alg.name() and alg.name() == alg.name().lower(), cls
        assert alg.groupId() in GROUPS, cls
        assert alg.shortHelpString(), f"{cls.__name__} has no help text"


def test_resources_are_found_from_the_source_tree():
    from glacvel_plugin.resources import icon_path, metadata_path, resource_path
    assert icon_path().endswith(os.path.join("resources", "icons", "glacvel.svg"))
    assert os.path.exists(metadata_path())
    with pytest.raises(FileNotFoundError, match="resource not found"):
        resource_path("styles", "no-such-style.qml")


@pytest.fixture(scope="module")
def plugin_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("package")
    subprocess.run(["bash", "scripts/package.sh"], cwd=ROOT, check=True, capture_output=True,
                   env=dict(os.environ, GLACVEL_BUILD_DIR=str(out / "build"),
                            GLACVEL_DIST_DIR=str(out / "dist")))
    return str(out / "dist" / "glacvel_plugin.zip")


def test_package_zip_holds_an_installable_plugin_folder(plugin_zip):
    names = zipfile.ZipFile(plugin_zip).namelist()
    assert "glacvel_plugin/metadata.txt" in names
    assert "glacvel_plugin/__init__.py" in names
    assert "glacvel_plugin/resources/icons/glacvel.svg" in names
    assert "glacvel_plugin/LICENSE" in names
    assert not [n for n in names if "__pycache__" in n]
    qm = [n for n in names if n.endswith(".qm")]
    assert "glacvel_plugin/i18n/glacvel_zh_CN.qm" in qm


def test_qgis_process_sees_the_installed_zip(plugin_zip, tmp_path):
    plugins = tmp_path / "plugins"
    zipfile.ZipFile(plugin_zip).extractall(plugins)
    # a fresh profile: pytest-qgis points QGIS_CUSTOM_CONFIG_PATH at a shared folder
    env = dict(os.environ, QGIS_PLUGINPATH=str(plugins), QT_QPA_PLATFORM="offscreen",
               HOME=str(tmp_path), XDG_RUNTIME_DIR=str(tmp_path),
               QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"),
               QGIS_OPTIONS_PATH=str(tmp_path / "profile"))
    enable = subprocess.run([QGIS_PROCESS, "plugins", "enable", "glacvel_plugin"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert enable.returncode == 0, enable.stdout + enable.stderr
    listed = subprocess.run([QGIS_PROCESS, "list"], env=env, capture_output=True, text=True,
                            timeout=300)
    assert listed.returncode == 0, listed.stderr
    assert "Glacier velocity" in listed.stdout
    plugins_out = subprocess.run([QGIS_PROCESS, "plugins"], env=env, capture_output=True,
                                 text=True, timeout=300).stdout
    assert "* glacvel_plugin" in plugins_out


def test_times_without_a_zone_are_utc_whatever_the_machine_time_zone(qgis_app, monkeypatch):
    import datetime as dt
    import time

    from qgis.PyQt.QtCore import QDateTime, Qt

    from glacvel_plugin.processing_provider.base import qdatetime_utc
    monkeypatch.setenv("TZ", "America/Anchorage")
    time.tzset()
    try:
        naive = QDateTime.fromString("2016-07-18T20:37:06", Qt.ISODate)
        assert qdatetime_utc(naive) == dt.datetime(2016, 7, 18, 20, 37, 6)
        zoned = QDateTime.fromString("2016-07-18T22:37:06+02:00", Qt.ISODate)
        assert qdatetime_utc(zoned) == dt.datetime(2016, 7, 18, 20, 37, 6)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
