"""The Chinese translation is compiled, installs for zh_CN and translates provider strings."""
import os

from tests.conftest import ROOT


def test_zh_cn_translator_translates_provider_name(qgis_app):
    from glacvel_plugin.i18n import install_translator, remove_translator
    from glacvel_plugin.processing_provider.provider import GlacvelProvider
    assert os.path.exists(os.path.join(ROOT, "i18n", "glacvel_zh_CN.qm")), "run make translations"
    try:
        assert install_translator("zh_CN")
        assert GlacvelProvider().name() == "冰川流速"
    finally:
        remove_translator()
    assert GlacvelProvider().name() == "Glacier velocity"
    assert not install_translator("xx_XX")
