"""The house's floors: every import inside `helpline/` (those inside functions included) goes to the
importing app's own layer or a lower one, as the table in the README's architecture section says.

An import inside a function is allowed only where a cycle at import time forces it, and says why on its
line with a `# deferred: <reason>` comment."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "helpline"

# The source of truth for the layer order (the README's architecture section prints it).
LAYERS: dict[str, int] = {
    "formats": 0,  # locale date and number formats: data, no imports
    "common": 1,
    "accounts": 2,
    "audit": 2,
    "channels": 3,
    "contacts": 4,
    "rota": 5,
    "routing": 6,
    "conversations": 7,
    "voice": 7,
    "cases": 8,
    "referrals": 9,
    "feedback": 9,
    "people": 9,
    "reports": 10,
    "operations": 10,
    "demo": 10,
    "console": 11,
}


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    source: str  # the importing app
    target: str  # the imported app
    deferred: bool  # inside a function
    reason: str  # the `# deferred:` comment on its line, if any


def _app(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "helpline" else None


def _module_of(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(path: Path, root: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = _module_of(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path, root: Path = ROOT) -> list[Import]:
    """`root`: the helpline/ package the file sits in (a test's copy may sit elsewhere)."""
    source_app = path.relative_to(root).parts[0]
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking_block(child):
                continue  # never executed: types only
            function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            # AppConfig.ready() is Django's documented place for an app to import its models and
            # receivers (the app registry is not ready before it): counted as module level.
            ready = path.name == "apps.py" and getattr(child, "name", "") == "ready"
            inside = in_function or (function and not ready)
            modules: list[str] = []
            if isinstance(child, ast.Import):
                modules = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(path, root, child)
                modules = [base] if base != "helpline" else [f"helpline.{a.name}" for a in child.names]
            for module in modules:
                target = _app(module)
                if target is None:
                    continue
                span = lines[child.lineno - 1 : (child.end_lineno or child.lineno)]
                comment = next(
                    (ln.partition("# deferred:")[2].strip() for ln in span if "# deferred:" in ln), ""
                )
                found.append(Import(path, child.lineno, source_app, target, in_function, comment))
            visit(child, inside)

    visit(ast.parse(text, filename=str(path)), False)
    return found


def all_imports() -> list[Import]:
    return [i for path in sorted(ROOT.rglob("*.py")) for i in imports(path)]


def _where(i: Import) -> str:
    return f"{i.path.relative_to(ROOT.parent)}:{i.line} ({i.source} → {i.target})"


def test_every_app_has_a_layer() -> None:
    apps = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert apps <= set(LAYERS), f"apps without a layer in LAYERS: {sorted(apps - set(LAYERS))}"


# Upward imports the house allows, each with its reason. Empty: none. An entry that no longer occurs
# fails the test too, so the list never carries what is gone.
ALLOWED_UPWARD: dict[str, str] = {}


def test_no_import_runs_back_up_a_floor() -> None:
    upward = [
        _where(i) for i in all_imports() if i.source != i.target and LAYERS[i.target] > LAYERS[i.source]
    ]
    new = [u for u in upward if u not in ALLOWED_UPWARD]
    assert new == [], "imports that run up the layer order:\n" + "\n".join(new)
    gone = sorted(set(ALLOWED_UPWARD) - set(upward))
    assert gone == [], "strike these off ALLOWED_UPWARD, they no longer occur:\n" + "\n".join(gone)


def test_an_import_inside_a_function_says_why() -> None:
    unexplained = [_where(i) for i in all_imports() if i.deferred and not i.reason]
    assert unexplained == [], "imports inside functions without a `# deferred: <reason>`:\n" + "\n".join(
        unexplained
    )


def test_the_scan_sees_imports_inside_functions(tmp_path: Path) -> None:
    # The check must not be blind to the imports it exists to find.
    # In a package of its own: a probe inside helpline/ would be seen by the scans running beside it.
    module = tmp_path / "helpline" / "contacts" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "def f():\n    from helpline.voice import services\n\n"
        "def g():\n    from helpline.common import live  # deferred: a reason\n"
    )
    found = imports(module, tmp_path / "helpline")
    assert [(i.target, i.deferred, i.reason) for i in found] == [
        ("voice", True, ""),
        ("common", True, "a reason"),
    ]
