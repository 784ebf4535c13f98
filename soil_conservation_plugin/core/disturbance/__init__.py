"""Supervision overlays (issue 17): 疑似违法违规扰动图斑 against the zones of this plugin.

fields     the field mapping of the issued patch layer (resources/rules/disturbance_fields.json)
layers     reading the patch layer and the overlay layers, with strict bilingual errors
geodesy    spatial index (areas: core.common.geo.AreaCalc, pyproj Geod on the layer's own ellipsoid)
overlay    each patch against each zone kind, the county/乡镇/小流域 it lies in, the land use under it
risk       the declarative risk rules (resources/rules/disturbance_risk.json) with their audit
yoy        year over year: new / same place / already closed
status     the 销号 cycle, persisted in the output GeoPackage and kept across re-runs
checklist  the 核查清单 per county (XLSX + CSV) and the summary
run        the whole check, as the Processing algorithm calls it
"""
