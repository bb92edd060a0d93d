"""The Excel writer does not depend on openpyxl's XML backend: the Excel tests pass with
lxml blocked and with lxml installed (openpyxl then reads the files through lxml's strict
parser), and the writer reaches into no other package's private names."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXCEL_TESTS = "tests/core/test_excel.py"

BLOCK_LXML = "import sys; sys.modules['lxml'] = None\n"  # before openpyxl is imported
RUN_TESTS = """import sys, pytest
code = pytest.main([sys.argv[1], "-q", "-p", "no:cacheprovider"])
import openpyxl.xml
print("openpyxl lxml backend:", openpyxl.xml.LXML)
sys.exit(code)
"""


@pytest.mark.parametrize(("mode", "preamble"), [("blocked", BLOCK_LXML), ("installed", "")])
def test_excel_tests_pass_with_and_without_lxml(mode, preamble):
    if mode == "installed":
        import lxml  # noqa: F401 - a dev dependency: this run must not be skipped silently
    done = subprocess.run(
        [sys.executable, "-c", preamble + RUN_TESTS, EXCEL_TESTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "OPENPYXL_LXML": "True"},
        timeout=300,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"openpyxl lxml backend: {mode == 'installed'}" in done.stdout
    assert " passed" in done.stdout


def test_the_writer_uses_no_private_names_of_other_packages():
    """Only the standard library and Django, through public names: no other package's
    internals (a private attribute changes or disappears without notice)."""
    path = ROOT / "core" / "excel.py"
    tree = ast.parse(path.read_text(), filename=str(path))
    imported: dict[str, str] = {}  # local name -> module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imported[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    for module in imported.values():
        top = module.split(".")[0]
        assert top in sys.stdlib_module_names or top == "django", module
        assert not any(part.startswith("_") for part in module.split(".")), module
    private = [
        f"{node.value.id}.{node.attr} (line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and isinstance(node.value, ast.Name)
        and node.value.id in imported
    ]
    assert private == []
