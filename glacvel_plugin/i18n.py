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
    """Translate a string outside a class (pylupdate5 extracts ``translate("ctx", "text")``).

    Parameters
    ----------
    context : str
        Translation context (the class or module name used in the ``.ts`` catalogue).
    text : str
        The English text.

    Returns
    -------
    str
        The text in the installed language, or ``text`` when there is no translation.
    """
    return QCoreApplication.translate(context, text)


def user_locale() -> str:
    """The QGIS user interface locale.

    Follows QGIS (``QgsApplication.locale``): the *User interface translation* of
    QGIS's options when *Override system locale* is on (QGIS stores Simplified
    Chinese as ``zh-Hans``), else the system locale (``zh_CN``, ``de_DE``…).

    Returns
    -------
    str
        E.g. ``zh-Hans`` or ``en_US``.
    """
    settings = QSettings()
    override = str(settings.value("locale/overrideFlag", False)).lower() in ("true", "1")
    loc = settings.value("locale/userLocale", "") if override else ""
    return str(loc or QLocale().name() or QLocale.system().name())


_CHINESE = {"hans": "zh_CN", "cn": "zh_CN", "sg": "zh_CN", "hant": "zh_TW", "tw": "zh_TW",
            "hk": "zh_TW", "mo": "zh_TW"}


def catalogue_names(locale: str) -> list:
    """Candidate translation names for a QGIS/Qt locale, most specific first.

    ``zh-Hans``, ``zh_Hans_CN``, ``zh-CN``, ``zh_SG`` and a bare ``zh`` → ``zh_CN``
    (Simplified Chinese, the catalogue glacvel ships); ``zh-Hant``/``zh_TW``/``zh_HK``
    → ``zh_TW`` (no fallback to Simplified); others ``de-DE`` → ``de_DE``, ``de``.

    Parameters
    ----------
    locale : str
        A locale name (``-`` or ``_`` separated; encoding and ``@`` modifiers ignored).

    Returns
    -------
    list of str
        Catalogue names (``glacvel_<name>.qm``); empty for an empty locale.
    """
    loc = (locale or "").replace("-", "_").split(".")[0].split("@")[0]
    parts = [p for p in loc.split("_") if p]
    if not parts:
        return []
    lang = parts[0].lower()
    if lang == "zh":
        region = next((_CHINESE[p.lower()] for p in parts[1:] if p.lower() in _CHINESE), "zh_CN")
        return [region] if region != "zh_CN" else ["zh_CN", "zh"]
    names = [lang + ("_" + parts[-1].upper() if len(parts) > 1 else "")]
    if names[0] != lang:
        names.append(lang)
    return names


def install_translator(locale: str = None) -> bool:
    """Load the glacvel catalogue of the QGIS interface language into the application.

    Calling it again replaces the previous glacvel translator.

    Parameters
    ----------
    locale : str, optional
        Default :func:`user_locale`; mapped by :func:`catalogue_names` onto
        ``i18n/glacvel_<name>.qm``.

    Returns
    -------
    bool
        True when a translation was installed.
    """
    locale = locale or user_locale()
    remove_translator()
    for name in catalogue_names(locale):
        qm = os.path.join(i18n_dir(), f"glacvel_{name}.qm")
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
