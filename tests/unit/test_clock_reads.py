"""The wall clock is read in idp/clock.py only, so the tests' clock fixture governs all time."""

import ast
from pathlib import Path

import pytest

import idp

PACKAGE = Path(idp.__file__).parent
MODULES = sorted(path for path in PACKAGE.rglob("*.py") if path != PACKAGE / "clock.py")
# Reading "now" from these is reading the wall clock; time.monotonic() measures a wait
# (network timeouts) and is no date, so it stays allowed.
WALL_CLOCK = {("time", "time"), ("time", "time_ns"), ("datetime", "now"),
              ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}


def wall_clock_reads(path: Path) -> list[str]:
    """Return the wall-clock reads in a module, as 'line: module.function'."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (_name(node.value), node.attr) in WALL_CLOCK:
            found.append(f"{node.lineno}: {_name(node.value)}.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module in ("time", "datetime"):
            for alias in node.names:
                if (node.module.split(".")[-1], alias.name) in WALL_CLOCK:
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
    return sorted(found, key=lambda read: int(read.split(":")[0]))


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr  # datetime.datetime.now
    return ""


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_module_reads_the_wall_clock_only_through_idp_clock(path):
    assert wall_clock_reads(path) == []


def test_the_check_notices_every_way_of_reading_the_wall_clock(tmp_path):
    module = tmp_path / "clocky.py"
    module.write_text("import time, datetime\nfrom time import time_ns\n"
                      "a = time.time()\nb = datetime.datetime.now()\n"
                      "c = datetime.date.today()\nd = datetime.utcnow()\n"
                      "e = time.monotonic()\n", encoding="utf-8")
    assert wall_clock_reads(module) == ["2: from time import time_ns", "3: time.time",
                                        "4: datetime.now", "5: date.today",
                                        "6: datetime.utcnow"]
