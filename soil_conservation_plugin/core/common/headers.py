"""Headers of the area tables (resources/rules/table_headers.json): one header per column for the
steep-slope tables, the export package's area tables and the 公告 tables of the county maps; and the aliases
of the result layers' fields (resources/styles/field_aliases.json). Each loaded once."""

from __future__ import annotations

import functools

from .paths import resources_path
from .rules import load_json_rules

HEADERS_FILE = ("rules", "table_headers.json")
ALIASES_FILE = ("styles", "field_aliases.json")


@functools.lru_cache(maxsize=1)
def load_table_headers() -> dict:
    return read_table_headers(resources_path(*HEADERS_FILE))


def read_table_headers(path) -> dict:
    """The headers in ``path``, checked (load_table_headers: the shipped file, read once)."""
    data = load_json_rules(path)
    try:
        assert data["version"] and data["source"]
        columns = data["columns"]
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in columns.items())
        for name, cols in data["tables"].items():
            assert cols and all(c in columns for c in cols), f"table {name} names a column without a header"
    except (KeyError, AssertionError, TypeError, AttributeError) as exc:
        raise RuntimeError(f"invalid table-header file {path}: {exc!r}") from exc  # a packaging error
    return data


def header(column: str) -> str:
    """The Chinese header of ``column`` (KeyError for a column the file does not name)."""
    return load_table_headers()["columns"][column]


def table_columns(table: str) -> list[tuple[str, str]]:
    """(column, header) of ``table`` ('county', 'township', 'unit', 'announcement', 'zoning_announcement'), in order."""
    return [(c, header(c)) for c in load_table_headers()["tables"][table]]


def headers_citation() -> dict:
    data = load_table_headers()
    return {"version": data["version"], "source": data["source"]}


@functools.lru_cache(maxsize=1)
def load_field_aliases() -> dict:
    """Field → {"zh", "en"[, "decimals"]} of the result layers (resources/styles/field_aliases.json), read once."""
    return read_field_aliases(resources_path(*ALIASES_FILE))


def read_field_aliases(path) -> dict:
    """The aliases in ``path``, checked (load_field_aliases: the shipped file, read once)."""
    data = load_json_rules(path)
    try:
        fields = data["fields"]
        for name, spec in fields.items():
            assert isinstance(spec.get("zh"), str) and spec["zh"], f"field {name} has no zh alias"
            assert isinstance(spec.get("en"), str) and spec["en"], f"field {name} has no en alias"
    except (KeyError, AssertionError, TypeError, AttributeError) as exc:
        raise RuntimeError(f"invalid field-alias file {path}: {exc!r}") from exc  # a packaging error
    return fields


def field_alias(name: str, lang: str = "zh") -> str:
    """The alias of a result-layer field (KeyError for a field the file does not name)."""
    return load_field_aliases()[name][lang]
