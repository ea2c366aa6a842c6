"""Component ids come from portal/ids.py: no page or shared builder spells one out."""

import ast
from pathlib import Path

from portal import ids

PORTAL = Path(ids.__file__).parent
SOURCES = sorted((PORTAL / "pages").glob("*.py")) + [PORTAL / "components.py"]
ID_KEYWORDS = {"id", "id_", "html_for"}


def known_ids() -> set[str]:
    values = set()
    for name, value in vars(ids).items():
        if not name.isupper():
            continue
        if isinstance(value, str):
            values.add(value)
        elif isinstance(value, dict):
            values.update(v for v in value.values() if isinstance(v, str))
    return values


def literal_ids(source: str) -> list[str]:
    """String constants given as an id keyword, or equal to an id that ids.py names."""
    known = known_ids()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg in ID_KEYWORDS:
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                found.append(node.value.value)
        elif isinstance(node, ast.Constant) and node.value in known:
            found.append(node.value)
    return found


def test_pages_and_components_take_their_ids_from_ids_py():
    offenders = {path.name: literal_ids(path.read_text()) for path in SOURCES}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_check_finds_a_literal_id():
    assert literal_ids('html.Div(id="x-y")\nOutput("segments-grid", "rowData")') == [
        "x-y",
        "segments-grid",
    ]
    assert literal_ids("html.Div(id=ids.SEGMENTS_GRID)") == []
