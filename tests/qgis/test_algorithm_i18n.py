"""Every algorithm's name, group, parameters, outputs and help are translated in Chinese (zh_CN)."""

from __future__ import annotations

import re

from soil_conservation_plugin.processing.provider import algorithm_classes
from soil_conservation_plugin.translation import install_translator, remove_translator

# Texts that read the same in both languages: numbers, units, format names, short codes.
SAME = re.compile(
    r"^[\d\s.,:;()/%°²·\-–+|*…]*$"
    r"|^(ha|m²|km²|GeoPackage \(UTF-8\)|Shapefile \(\.cpg\)|File Geodatabase \(GDAL ≥ 3\.6\)|GBK|UTF-8|[A-Z]{1,4})$"
)


def texts(alg) -> list[str]:
    alg.initAlgorithm()
    out = [alg.displayName(), alg.group(), alg.shortHelpString()]
    out += [p.description() for p in alg.parameterDefinitions()]
    out += [o.description() for o in alg.outputDefinitions()]
    return out


def needs_translation(text: str) -> bool:
    return bool(text) and not SAME.match(text) and re.search(r"[A-Za-z]{2,}", text) is not None


def test_every_algorithm_text_is_translated(plugin):
    english = {cls.NAME: texts(cls()) for cls in algorithm_classes()}
    translator = install_translator("zh_CN")
    assert translator is not None, "build the .qm first: make translations"
    try:
        chinese = {cls.NAME: texts(cls()) for cls in algorithm_classes()}
    finally:
        remove_translator(translator)
    untranslated = [
        f"{name}: {en[:90]!r}"
        for name in english
        for en, zh in zip(english[name], chinese[name])
        if needs_translation(en) and en == zh
    ]
    assert untranslated == [], "\n".join(untranslated)
