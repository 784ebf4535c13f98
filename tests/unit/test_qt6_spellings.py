"""One code base for QGIS 3.22 (PyQt5) … 4.x (PyQt6): enum members are written scoped.

PyQt6 and QGIS 4 drop the unscoped spellings (`Qt.UserRole`, `Qgis.Warning`,
`QgsProcessing.TypeVectorPolygon`); the scoped ones (`Qt.ItemDataRole.UserRole` …) also work on
PyQt5 and QGIS 3.22. This scan reads our sources (no QGIS needed) and fails on an unscoped member.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("soil_conservation_plugin", "tests", "bench")

# Every Qt/QGIS class whose enum members our code names; a capitalised member of one of these
# must be reached through its enum (`Class.Enum.Member`), never straight off the class.
SCOPED_CLASSES = frozenset(
    {
        "Qt",
        "QFrame",
        "QFormLayout",
        "QIODevice",
        "QImage",
        "QEvent",
        "QFont",
        "QPainter",
        "QSizePolicy",
        "QMessageBox",
        "QAbstractItemView",
        "QHeaderView",
        "QDialogButtonBox",
        "QLineEdit",
        "QTextCursor",
        "QPalette",
        "Qgis",
        "QgsProcessing",
        "QgsProcessingParameterNumber",
        "QgsProcessingParameterFile",
        "QgsProcessingAlgorithm",
        "QgsProcessingParameterDefinition",
        "QgsMapLayerProxyModel",
        "QgsFieldProxyModel",
        "QgsWkbTypes",
        "QgsTask",
        "QgsUnitTypes",
        "QgsLayoutExporter",
        "QgsFeatureRequest",
        "QgsRenderContext",
        "QgsLegendStyle",
        "QgsFileWidget",
        "QgsMapLayer",
        "QgsVectorFileWriter",
        "QgsFeatureSink",
        "QgsRasterFileWriter",
        "QgsCoordinateTransform",
        "QgsLayoutItemMap",
        "QgsLayoutItemScaleBar",
        "QgsLayoutItemLabel",
        "QgsLayoutItemPicture",
        "QgsPalLayerSettings",
        "QgsProcessingUtils",
        "QgsProcessingContext",
        "QgsApplication",
        "QComboBox",
    }
)
# capitalised members of those classes that are nested classes or enum types, not enum members
NOT_ENUM_MEMBERS = {
    ("QgsProcessingContext", "LayerDetails"),
    ("QgsLayoutExporter", "PdfExportSettings"),
    ("QgsLayoutExporter", "ImageExportSettings"),
    ("Qt", "DockWidgetArea"),  # the enum type, called on a stored int
}
CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]+$")  # Qgis.QGIS_VERSION and the like
QT_NAME = re.compile(r"^Q[A-Za-z0-9]+$")


def member_uses(source: str) -> list[tuple[int, str, str, bool]]:
    """(line, class, member, scoped) for every `Q….Capitalised` attribute in the source."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    uses = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and QT_NAME.match(node.value.id)
            and node.attr[:1].isupper()
            and not CONSTANT.match(node.attr)
        ):
            scoped = isinstance(parents.get(node), ast.Attribute)  # Class.Enum.Member
            uses.append((node.lineno, node.value.id, node.attr, scoped))
    return sorted(uses)


def unscoped(source: str) -> list[str]:
    return [
        f"{line}: {cls}.{member}"
        for line, cls, member, scoped in member_uses(source)
        if cls in SCOPED_CLASSES and not scoped and (cls, member) not in NOT_ENUM_MEMBERS
    ]


def python_files() -> list[Path]:
    files = [p for d in SOURCES for p in sorted((REPO / d).rglob("*.py"))]
    assert len(files) > 50  # the scan really reads the plugin
    return files


def test_no_unscoped_enum_members():
    problems = [f"{p.relative_to(REPO)}:{u}" for p in python_files() for u in unscoped(p.read_text(encoding="utf-8"))]
    assert problems == []


def test_every_class_used_with_members_is_listed():
    """A class the plugin starts using with capitalised members must join SCOPED_CLASSES."""
    used = {cls for p in python_files() for _, cls, _, _ in member_uses(p.read_text(encoding="utf-8"))}
    assert used - SCOPED_CLASSES == set()
    assert {"Qt", "Qgis", "QgsProcessing", "QgsProcessingParameterNumber", "QgsWkbTypes"} <= used


def test_catches_unscoped_samples():
    sample = (
        "item.setData(Qt.UserRole, 1)\n"
        "level = Qgis.Warning\n"
        "types = [QgsProcessing.TypeVectorPolygon]\n"
        "ok = Qt.ItemDataRole.UserRole, Qgis.MessageLevel.Warning, Qgis.QGIS_VERSION\n"
        "details = QgsProcessingContext.LayerDetails('x', None)\n"
    )
    assert unscoped(sample) == ["1: Qt.UserRole", "2: Qgis.Warning", "3: QgsProcessing.TypeVectorPolygon"]
    # a class missing from the list is reported by the coverage test
    assert ("QgsSomethingNew", "Member", False) in [u[1:] for u in member_uses("QgsSomethingNew.Member")]
