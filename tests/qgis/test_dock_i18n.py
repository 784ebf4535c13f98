"""The dock in Chinese: with the zh_CN translation installed, its labels are Chinese.

Needs the compiled translation (make translations) with the dock's strings translated.
"""

from __future__ import annotations

import re

import pytest

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture()
def chinese(plugin):
    from soil_conservation_plugin.translation import install_translator, remove_translator

    translator = install_translator("zh_CN")
    assert translator is not None, "no zh_Hans .qm: run `make translations`"
    yield translator
    remove_translator(translator)


def test_dock_labels_are_chinese(chinese, qgis_iface):
    from qgis.PyQt.QtWidgets import QGroupBox, QLabel, QPushButton

    from soil_conservation_plugin.gui.dock import SoilConservationDock

    dock = SoilConservationDock(qgis_iface, qgis_iface.mainWindow())
    try:
        assert CJK.search(dock.windowTitle())
        tabs = [dock.pages.tabText(i) for i in range(dock.pages.count())]
        assert all(CJK.search(t) for t in tabs), tabs
        # every fixed label, button and group title of every page
        texts = []
        for page in dock.page_list:
            # fixed labels only: not the status lines the code fills, not QGIS widgets' inner labels
            texts += [
                w.text()
                for w in page.findChildren(QLabel)
                if w.text() and w.objectName() and not w.objectName().endswith(("Status", "Label", "Source", "Note"))
            ]
            texts += [w.text() for w in page.findChildren(QPushButton) if w.text()]
            texts += [w.title() for w in page.findChildren(QGroupBox)]
        texts += [dock.runAllButton.text(), dock.cancelButton.text()]
        english = [t for t in texts if not CJK.search(t)]
        assert english == []
        assert dock.steep.legend_name().startswith(("禁止开垦陡坡地",)), dock.steep.legend_name()
    finally:
        dock.shutdown()
        dock.deleteLater()


def test_the_supervision_and_rollup_pages_in_both_languages(plugin, qgis_iface):
    from soil_conservation_plugin.gui.dock import SoilConservationDock
    from soil_conservation_plugin.translation import install_translator, remove_translator

    def titles_and_headers(dock):
        tabs = [dock.pages.tabText(i) for i in range(dock.pages.count())]
        dock.disturbance.fill_summary(_EmptyLayer())
        headers = [
            dock.disturbance.summaryTable.horizontalHeaderItem(c).text()
            for c in range(dock.disturbance.summaryTable.columnCount())
        ]
        headers += [
            dock.checks.patchTable.horizontalHeaderItem(c).text() for c in range(dock.checks.patchTable.columnCount())
        ]
        return tabs, headers, [dock.rollup.kindCombo.itemText(i) for i in range(dock.rollup.kindCombo.count())]

    dock = SoilConservationDock(qgis_iface, qgis_iface.mainWindow())
    try:
        tabs, headers, kinds = titles_and_headers(dock)
        assert tabs[6:] == ["7 Disturbance check", "8 Roll-up and targets"]
        assert not any(CJK.search(h) for h in headers + kinds), headers + kinds
    finally:
        dock.shutdown()
        dock.deleteLater()
    translator = install_translator("zh_CN")
    assert translator is not None
    dock = SoilConservationDock(qgis_iface, qgis_iface.mainWindow())
    try:
        tabs, headers, kinds = titles_and_headers(dock)
        assert tabs[6:] == ["7 扰动图斑核查", "8 汇总与目标"]
        assert all(CJK.search(h) for h in headers + kinds), headers + kinds
        from qgis.PyQt.QtWidgets import QGroupBox

        assert CJK.search(dock.checks.findChild(QGroupBox, "groupPatches").title())
    finally:
        dock.shutdown()
        dock.deleteLater()
        remove_translator(translator)


class _EmptyLayer:
    def getFeatures(self):
        return iter(())
