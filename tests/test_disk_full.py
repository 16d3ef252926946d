"""The disk under SQLite fills up: an SMS is refused with a plain 503 (the gateway sends it again),
never a 500 or a traceback; nothing is half-written; a page says so in plain words; once space is
freed the same SMS is stored, once, and the database's integrity check holds.

A small tmpfs is mounted for the data folder, so this needs root (CI runs as root); elsewhere it is
skipped."""

from __future__ import annotations

import base64
import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Children, helpline_server, manage
from tests.test_server_killed import Store, half_written, stored_ids

SECRET = "disk-full-kannel-secret-0123456789"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small disk needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def sms(url: str, message_id: str) -> tuple[int, str]:
    query = urllib.parse.urlencode(
        {"secret": SECRET, "from": "85512340000", "to": "1280", "id": message_id, "text": "សួស្តី " * 20}
    )
    try:
        with urllib.request.urlopen(f"{url}/hooks/sms/kannel?{query}", timeout=20) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte."""
    filler = disk / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_refuses_plainly_and_loses_nothing(tmp_path: Path, small_disk: Path) -> None:
    children = Children()
    # The database on the small disk; the logs beside it on the big one (they must still be written).
    extra = {
        "HELPLINE_DATA_DIR": str(small_disk),
        "HELPLINE_KANNEL_SECRET": SECRET,
        "HELPLINE_TRIAGE_WARM": "0",
    }
    extra |= {"HELPLINE_DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "127.0.0.1"}
    extra |= {"HELPLINE_FIELD_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode()}
    try:
        with helpline_server(tmp_path / "logs", extra_env=extra, children=children) as server:
            manage(server.env, "collectstatic", "--noinput", "-v", "0")  # as deployed (debug off)
            assert sms(server.url, "before")[0] == 200
            filler = fill(small_disk)
            refused = [sms(server.url, f"full-{n}") for n in range(5)]
            for status, body in refused:
                assert status == 503, (status, body[:500])
                assert "Traceback" not in body and "OperationalError" not in body
            store = Store(server.env, small_disk)
            assert stored_ids(store) == ["before"]
            assert not any(half_written(store).values())
            assert "disk holding the database is full or failing" in server.log_tail(200)

            filler.unlink()
            for n in range(5):  # the gateway sends each again
                assert sms(server.url, f"full-{n}")[0] == 200
            assert sorted(stored_ids(store)) == sorted(["before", *(f"full-{n}" for n in range(5))])
            assert not any(half_written(store).values())
            [[integrity]] = store.rows("PRAGMA integrity_check")
            assert integrity == "ok"
    finally:
        children.stop_all()
