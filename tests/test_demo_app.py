"""The demo app (seed data, traffic simulators) is loaded only in demo mode, and nothing else
imports it: a live helpline has neither its code nor its commands."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import PROJECT_DIR, server_env

DEMO_COMMANDS = {"seed_demo", "seed_demo_contacts", "seed_demo_texts", "simulate"}
REPORT = (
    "import json; from django.apps import apps; from django.core.management import get_commands; "
    "print(json.dumps([apps.is_installed('helpline.demo'), sorted(get_commands())]))"
)


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def installed_and_commands(env: dict[str, str]) -> tuple[bool, set[str]]:
    result = run_manage(env, "shell", "-c", REPORT)
    assert result.returncode == 0, result.stderr
    installed, commands = json.loads(result.stdout.strip().splitlines()[-1])
    return installed, set(commands)


@pytest.mark.parametrize("demo", ["", "0"])
def test_with_demo_mode_off_the_demo_app_and_its_commands_are_absent(tmp_path: Path, demo: str) -> None:
    env = server_env(tmp_path, {"HELPLINE_DEMO": demo} if demo else None)
    installed, commands = installed_and_commands(env)
    assert not installed
    assert "migrate" in commands and not commands & DEMO_COMMANDS
    for name in sorted(DEMO_COMMANDS):
        result = run_manage(env, name)
        assert result.returncode != 0
        assert f"Unknown command: '{name}'" in result.stderr


def test_with_demo_mode_on_the_demo_app_and_its_commands_are_there(tmp_path: Path) -> None:
    installed, commands = installed_and_commands(server_env(tmp_path, {"HELPLINE_DEMO": "1"}))
    assert installed
    assert commands >= DEMO_COMMANDS


def _imported_modules(tree: ast.AST, module: str) -> set[str]:
    """Every module an import names, inside functions too; relative imports made absolute."""
    found: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_nothing_outside_the_demo_app_imports_it() -> None:
    demo = PROJECT_DIR / "helpline" / "demo"
    offenders = []
    scanned = 0
    for root in ("helpline", "config"):
        for path in sorted((PROJECT_DIR / root).rglob("*.py")):
            if path.is_relative_to(demo):
                continue
            module = ".".join(path.relative_to(PROJECT_DIR).with_suffix("").parts)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            scanned += 1
            for name in _imported_modules(tree, module):
                if name == "helpline.demo" or name.startswith("helpline.demo."):
                    offenders.append(f"{path.relative_to(PROJECT_DIR)}: {name}")
    assert scanned > 100
    assert not offenders, "production code imports the demo app:\n" + "\n".join(offenders)


def test_the_import_scan_sees_imports_inside_functions_and_relative_ones() -> None:
    code = (
        "def f():\n    from helpline import demo\n"
        "def g():\n    from ..demo import month\n"
        "import helpline.demo.gateway\n"
    )
    found = _imported_modules(ast.parse(code), "helpline.contacts.services")
    assert {"helpline.demo", "helpline.demo.month", "helpline.demo.gateway"} <= found
