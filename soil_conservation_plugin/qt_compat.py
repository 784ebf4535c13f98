"""The Qt5/Qt6 differences that no single spelling covers, in one place.

Enum members are written scoped everywhere (Qt.ItemDataRole.UserRole, Qgis.MessageLevel.Warning …):
that spelling works on PyQt5/QGIS 3.22 and is the only one PyQt6/QGIS 4 accepts
(tests/unit/test_qt6_spellings.py keeps it so).
"""

from __future__ import annotations

from qgis.PyQt.QtCore import QT_VERSION
from qgis.PyQt.QtGui import QFontDatabase

QT6 = QT_VERSION >= 0x060000


def font_families() -> list[str]:
    # Qt6 made QFontDatabase's members static (and dropped the instance); Qt5 needs an instance.
    return list(QFontDatabase.families() if QT6 else QFontDatabase().families())
