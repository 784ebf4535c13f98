"""Package metadata as XML with the core elements of GB/T 19710 (地理信息 元数据).

GB/T 19710-2005 follows ISO 19115:2003 [M: the standard's text was not at
hand; REFERENCE.md §6 only names it], so the core elements are written in the
ISO 19139 ``gmd`` encoding that GIS catalogues read: title, date, responsible
party (producer), language, character set, topic category, geographic extent,
reference system, distribution format, lineage, metadata date and standard.
The lineage names the schema and rule versions and the run parameters; the
field catalogue (Chinese aliases, which a Shapefile cannot hold) is in
supplementalInformation and in the package's fields.csv.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

GMD = "http://www.isotc211.org/2005/gmd"
GCO = "http://www.isotc211.org/2005/gco"
NS = {"gmd": GMD, "gco": GCO}
ET.register_namespace("gmd", GMD)
ET.register_namespace("gco", GCO)

STANDARD_NAME = "GB/T 19710-2005 地理信息 元数据 (ISO 19115:2003 核心元素, ISO 19139 编码)"


def _el(parent, path: str):
    """Create nested gmd/gco elements along 'gmd:a/gmd:b'."""
    node = parent
    for part in path.split("/"):
        prefix, local = part.split(":")
        node = ET.SubElement(node, f"{{{NS[prefix]}}}{local}")
    return node


def _text(parent, path: str, text, kind: str = "gco:CharacterString"):
    node = _el(parent, path)
    leaf = _el(node, kind)
    leaf.text = "" if text is None else str(text)
    return node


def _code(parent, path: str, list_name: str, value: str):
    node = _el(parent, path)
    code = ET.SubElement(node, f"{{{GMD}}}{list_name}")
    code.set("codeList", f"http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#{list_name}")
    code.set("codeListValue", value)
    code.text = value
    return code


def _party(parent, path: str, organisation: str, role: str):
    party = _el(parent, path + "/gmd:CI_ResponsibleParty")
    _text(party, "gmd:organisationName", organisation)
    _code(party, "gmd:role", "CI_RoleCode", role)


def build_metadata_xml(
    *,
    file_identifier: str,
    title: str,
    abstract: str,
    producer: str,
    created: str,
    bbox: tuple | None,
    epsg: int,
    data_format: str,
    encoding: str,
    lineage: str,
    process_steps: list,
    field_catalogue: str,
) -> bytes:
    """The metadata document as UTF-8 bytes. ``bbox`` = (west, south, east, north) in degrees (CGCS2000)."""
    root = ET.Element(f"{{{GMD}}}MD_Metadata")
    _text(root, "gmd:fileIdentifier", file_identifier)
    _text(root, "gmd:language", "chi")
    _code(root, "gmd:characterSet", "MD_CharacterSetCode", "utf8")
    _party(root, "gmd:contact", producer, "pointOfContact")
    _text(root, "gmd:dateStamp", created, "gco:DateTime")
    _text(root, "gmd:metadataStandardName", STANDARD_NAME)
    _text(root, "gmd:metadataStandardVersion", "2005")

    rs = _el(root, "gmd:referenceSystemInfo/gmd:MD_ReferenceSystem/gmd:referenceSystemIdentifier/gmd:RS_Identifier")
    _text(rs, "gmd:code", f"EPSG:{epsg}")
    _text(rs, "gmd:codeSpace", "EPSG")

    ident = _el(root, "gmd:identificationInfo/gmd:MD_DataIdentification")
    cit = _el(ident, "gmd:citation/gmd:CI_Citation")
    _text(cit, "gmd:title", title)
    cdate = _el(cit, "gmd:date/gmd:CI_Date")
    _text(cdate, "gmd:date", created, "gco:DateTime")
    _code(cdate, "gmd:dateType", "CI_DateTypeCode", "creation")
    _text(ident, "gmd:abstract", abstract)
    _party(ident, "gmd:pointOfContact", producer, "originator")
    _text(ident, "gmd:language", "chi")
    _code(
        ident,
        "gmd:characterSet",
        "MD_CharacterSetCode",
        "utf8" if encoding.upper().replace("-", "") == "UTF8" else encoding.lower(),
    )
    topic = _el(ident, "gmd:topicCategory/gmd:MD_TopicCategoryCode")
    topic.text = "inlandWaters"
    if bbox is not None:
        box = _el(ident, "gmd:extent/gmd:EX_Extent/gmd:geographicElement/gmd:EX_GeographicBoundingBox")
        for name, value in zip(
            ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude"),
            (bbox[0], bbox[2], bbox[1], bbox[3]),
        ):
            _text(box, f"gmd:{name}", f"{value:.8f}", "gco:Decimal")
    _text(ident, "gmd:supplementalInformation", field_catalogue)

    fmt = _el(root, "gmd:distributionInfo/gmd:MD_Distribution/gmd:distributionFormat/gmd:MD_Format")
    _text(fmt, "gmd:name", data_format)
    _text(fmt, "gmd:version", encoding)

    dq = _el(root, "gmd:dataQualityInfo/gmd:DQ_DataQuality")
    _code(dq, "gmd:scope/gmd:DQ_Scope/gmd:level", "MD_ScopeCode", "dataset")
    lin = _el(dq, "gmd:lineage/gmd:LI_Lineage")
    _text(lin, "gmd:statement", lineage)
    for step in process_steps:
        ps = _el(lin, "gmd:processStep/gmd:LI_ProcessStep")
        _text(
            ps,
            "gmd:description",
            step if isinstance(step, str) else json.dumps(step, ensure_ascii=False, sort_keys=True, default=str),
        )
        _text(ps, "gmd:dateTime", created, "gco:DateTime")

    ET.indent(root) if hasattr(ET, "indent") else None  # Python ≥ 3.9
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def read_core_elements(data: bytes) -> dict:
    """The core elements back from a document written above (tests and the manifest summary)."""
    root = ET.fromstring(data)

    def text(path):
        node = root.find(path, NS)
        return None if node is None else (node.text or "")

    ident = "gmd:identificationInfo/gmd:MD_DataIdentification"
    box = f"{ident}/gmd:extent/gmd:EX_Extent/gmd:geographicElement/gmd:EX_GeographicBoundingBox"
    out = {
        "title": text(f"{ident}/gmd:citation/gmd:CI_Citation/gmd:title/gco:CharacterString"),
        "date": text(f"{ident}/gmd:citation/gmd:CI_Citation/gmd:date/gmd:CI_Date/gmd:date/gco:DateTime"),
        "producer": text(
            f"{ident}/gmd:pointOfContact/gmd:CI_ResponsibleParty/gmd:organisationName/gco:CharacterString"
        ),
        "crs": text(
            "gmd:referenceSystemInfo/gmd:MD_ReferenceSystem/gmd:referenceSystemIdentifier/gmd:RS_Identifier/gmd:code/gco:CharacterString"
        ),
        "lineage": text(
            "gmd:dataQualityInfo/gmd:DQ_DataQuality/gmd:lineage/gmd:LI_Lineage/gmd:statement/gco:CharacterString"
        ),
        "format": text(
            "gmd:distributionInfo/gmd:MD_Distribution/gmd:distributionFormat/gmd:MD_Format/gmd:name/gco:CharacterString"
        ),
        "steps": [
            n.text
            for n in root.findall(
                "gmd:dataQualityInfo/gmd:DQ_DataQuality/gmd:lineage/gmd:LI_Lineage/gmd:processStep/gmd:LI_ProcessStep/gmd:description/gco:CharacterString",
                NS,
            )
        ],
    }
    if root.find(box, NS) is not None:
        out["bbox"] = tuple(
            float(text(f"{box}/gmd:{n}/gco:Decimal"))
            for n in ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude")
        )
    return out
