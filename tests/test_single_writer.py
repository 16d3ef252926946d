"""One app writes each record type: `contacts` writes Contact, `routing` writes Offer. Other apps call
their services. Two checks: a scan of the source (queryset writes send no signals, so only the source
shows them), and, for every test in the suite, a save or delete of one of these records from a module
outside its app fails (tests/conftest.py connects the guard)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from tests.writers import OWNERS, WrongWriter

ROOT = Path(__file__).resolve().parent.parent / "helpline"
WRITES = {"create", "bulk_create", "update", "delete", "get_or_create", "update_or_create", "bulk_update"}


def _writes(path: Path) -> list[tuple[int, str]]:
    """(line, model) of each write of an owned model's rows that this module makes."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = ast.unparse(node.func.value)
        for model in OWNERS:
            # By whole name: CaseContact.objects is not Contact.objects.
            if node.func.attr in WRITES and re.search(rf"\b{model}\.(objects|handlers)\b", receiver):
                found.append((node.lineno, model))
            elif node.func.attr == "save" and receiver.split(".")[-1] == model.lower():
                found.append((node.lineno, model))  # contact.save(), offer.save()
    return found


def _outside_owner(root: Path = ROOT) -> list[str]:
    bad = []
    for path in sorted(root.rglob("*.py")):
        app = path.relative_to(root).parts[0]
        if "migrations" in path.parts:
            continue
        for line, model in _writes(path):
            if OWNERS[model] != app:
                bad.append(f"{path.relative_to(root.parent)}:{line} writes {model} ({OWNERS[model]} owns it)")
    return bad


def test_only_the_owning_app_writes_its_records() -> None:
    assert _outside_owner() == []


def test_the_scan_finds_a_write_from_another_app(tmp_path: Path) -> None:
    # In a package of its own: a probe inside helpline/ would be seen by the scan running beside it.
    probe = tmp_path / "helpline" / "voice" / "_writer_probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(
        "def f(contact, offer):\n"
        "    Contact.objects.filter(pk=1).update(status='x')\n"
        "    contact.save()\n"
        "    Offer.objects.create()\n"
    )
    assert [m for _line, m in _writes(probe)] == ["Contact", "Contact", "Offer"]
    assert len(_outside_owner(tmp_path / "helpline")) == 3


def test_the_scan_reads_model_names_whole(tmp_path: Path) -> None:
    # CaseContact is the cases app's, not a Contact: writing one in cases is no write of a contact.
    probe = tmp_path / "helpline" / "cases" / "_writer_probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("def f():\n    CaseContact.objects.create()\n")
    assert [m for _line, m in _writes(probe)] == ["CaseContact"]
    assert _outside_owner(tmp_path / "helpline") == []


@pytest.mark.django_db
def test_the_guard_refuses_a_save_from_another_app() -> None:
    from helpline.contacts.models import Contact

    # Code compiled as if it sat in helpline/voice/ (the guard reads the frames' file names); no file
    # is written, so nothing else in the suite can see it.
    code = compile("def write(contact):\n    contact.save()\n", str(ROOT / "voice" / "probe.py"), "exec")
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - a fixed snippet, to stand in for a module of another app
    with pytest.raises(WrongWriter, match="only contacts's services write it"):
        namespace["write"](Contact(channel="sms", status="waiting"))
    assert not Contact.objects.exists()
