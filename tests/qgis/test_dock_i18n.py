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
