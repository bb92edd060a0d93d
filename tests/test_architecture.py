"""Dependencies point one way (docs/architecture.md): `core` imports no app of ours,
`tenancy` imports only `core`, the business apps import `core` and `tenancy` but not each
other's internals except through the hooks they register in `AppConfig.ready()`.

Development tooling sits outside the product: `simulators` (stand-alone stand-ins for the
external systems) imports no app of ours, `devtools` (benchmarks, scale seeders) may import
any app, and no product app imports either."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUR_APPS = {
    "core",
    "tenancy",
    "cprlookup",
    "rentregister",
    "waitlist",
    "gdpr",
    "simulators",
    "devtools",
}
DEV_ONLY = {"simulators", "devtools"}

# app -> the apps of ours it may import
ALLOWED = {
    "core": set(),
    "tenancy": {"core"},
    "cprlookup": {"core", "tenancy"},
    "rentregister": {"core", "tenancy"},
    "waitlist": {"core", "tenancy"},
    "gdpr": {"core", "tenancy"},
}


def imported_apps(path: Path) -> set[tuple[str, int]]:
    """(top-level package, line) of every absolute import in the file, including imports
    inside functions (a lazy import is still a dependency)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add((alias.name.split(".")[0], node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add((node.args[0].value.split(".")[0], node.lineno))
    return found


def violations(app: str, allowed: set[str]) -> list[str]:
    bad = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for package, line in imported_apps(path):
            if package in OUR_APPS and package != app and package not in allowed:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {package}")
    return bad


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_imports_point_one_way(app):
    assert violations(app, ALLOWED[app]) == []


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_product_apps_never_import_dev_tooling(app):
    """Simulators and devtools are not part of the product (DEVTOOLS may leave devtools out)."""
    assert violations(app, OUR_APPS - DEV_ONLY) == []


def test_simulators_import_no_app_of_ours():
    """They play external systems: only the wire format connects them to the product."""
    assert violations("simulators", set()) == []


@pytest.mark.parametrize(("value", "installed"), [("false", False), ("true", True)])
def test_devtools_installed_only_when_the_setting_says_so(value, installed):
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print('devtools' in settings.INSTALLED_APPS)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEVTOOLS": value}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == str(installed)


def test_the_check_would_catch_a_wrong_import(tmp_path):
    """The scanner sees plain, from-, lazy and import_module imports."""
    module = tmp_path / "m.py"
    module.write_text(
        "import rentregister.services\n"
        "def f():\n"
        "    from gdpr.services import x\n"
        "    importlib.import_module('cprlookup.views')\n"
    )
    assert {p for p, _line in imported_apps(module)} == {"rentregister", "gdpr", "cprlookup"}
