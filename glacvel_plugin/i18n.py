"""Translation of user-visible strings (Qt Linguist ``.ts``/``.qm`` files in ``i18n/``).

Every string a user sees goes through a class's ``self.tr(text)`` (context = the
class name, as ``pylupdate5`` records it) or ``translate(context, text)`` outside
classes; ``make translations`` extracts them into ``i18n/glacvel_zh_CN.ts`` and
compiles the ``.qm`` files.
"""
import os

from qgis.PyQt.QtCore import QCoreApplication, QLocale, QSettings, QTranslator

from .resources import i18n_dir

_translators = []


def translate(context: str, text: str) -> str:
    """Translate ``text`` in ``context`` (pylupdate5 extracts ``translate("ctx", "text")``)."""
    return QCoreApplication.translate(context, text)


def user_locale() -> str:
    """The QGIS user interface locale, e.g. ``zh_CN`` or ``en_US``."""
    loc = QSettings().value("locale/userLocale", "") or QLocale.system().name()
    return str(loc)


def install_translator(locale: str = None) -> bool:
    """Load ``glacvel_<locale>.qm`` (or ``glacvel_<lang>.qm``) into the application.

    Returns True when a translation was installed. Calling it again replaces the
    previous glacvel translator.
    """
    locale = locale or user_locale()
    remove_translator()
    for name in (f"glacvel_{locale}", f"glacvel_{locale[:2]}"):
        qm = os.path.join(i18n_dir(), name + ".qm")
        if os.path.exists(qm):
            t = QTranslator()
            if t.load(qm):
                QCoreApplication.installTranslator(t)
                _translators.append(t)
                return True
    return False


def remove_translator():
    """Remove the glacvel translator installed by :func:`install_translator`."""
    while _translators:
        QCoreApplication.removeTranslator(_translators.pop())
