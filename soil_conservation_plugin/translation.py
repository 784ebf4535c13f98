"""Loads the plugin's translation for the user's QGIS locale (zh-Hans, zh_CN, then zh)."""

from __future__ import annotations

from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator

from .core.common.paths import plugin_file

TS_BASENAME = "soil_conservation"
# Chinese locales QGIS reports, and the one translation that serves them
ALIASES = {"zh": "zh_Hans", "zh_cn": "zh_Hans", "zh_hans": "zh_Hans", "zh_sg": "zh_Hans", "zh_hans_cn": "zh_Hans"}


CONTEXT = "SoilConservation"


def tr(text: str, *contexts: str) -> str:
    """Translate ``text``, trying the given contexts, then the plugin's and pylupdate's default.

    pylupdate5 files ``self.tr()`` under the lexical class name and a bare ``tr()`` under
    @default, so a lookup tries each of them instead of relying on one context. The plugin's
    one translation helper: every other tr/translate calls it.
    """
    for context in (*contexts, CONTEXT, "@default"):
        translated = QCoreApplication.translate(context, text)
        if translated != text:
            return translated
    return text


def translate(context: str, text: str) -> str:
    """tr() with QCoreApplication.translate's argument order: pylupdate5 files a literal
    ``translate("SoilConservation", "…")`` under that context, where this looks first."""
    return tr(text, context)


def user_locale() -> str:
    value = QgsSettings().value("locale/userLocale", "") or QLocale().name()
    return str(value)


def qm_candidates(locale: str) -> list[str]:
    """Translation names to try, most specific first: 'zh-Hans' → zh_Hans, then zh."""
    norm = locale.replace("-", "_").strip()
    names = [norm, norm.split("_")[0]]
    out = []
    for name in names:
        for candidate in (ALIASES.get(name.lower(), name), name):
            if candidate and candidate not in out:
                out.append(candidate)
    return out


def install_translator(locale: str | None = None) -> QTranslator | None:
    """Install and return the best translator for ``locale`` (default: the user's), or None."""
    for name in qm_candidates(locale or user_locale()):
        try:
            qm = plugin_file("i18n", f"{TS_BASENAME}_{name}.qm")
        except FileNotFoundError:
            continue
        translator = QTranslator()
        if translator.load(str(qm)):
            QCoreApplication.installTranslator(translator)
            return translator
    return None


def remove_translator(translator: QTranslator | None) -> None:
    if translator is not None:
        QCoreApplication.removeTranslator(translator)
