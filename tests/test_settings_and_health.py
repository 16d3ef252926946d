"""Settings from the environment, refusal to start without secrets, deploy checks, health checks.

These run real `manage.py` processes with a chosen environment, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "s" * 64
GOOD_FIELD_KEY = "dGVzdC1maWVsZC1rZXktZm9yLWhlbHBsaW5lLXRlc3RzIQ=="


def run_manage(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HELPLINE_", "DJANGO_"))}
    base.pop("SECRET_KEY", None)
    base.pop("DATABASE_URL", None)
    base.pop("REDIS_URL", None)
    full = base | {"HELPLINE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"} | env
    if args[0] == "shell":
        args = [*args, "--no-imports"]
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off(tmp_path: Path) -> None:
    result = run_manage(["check"], {"HELPLINE_FIELD_KEYS": GOOD_FIELD_KEY}, tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SECRET_KEY" in lines[0]
    assert "Traceback" not in result.stderr


def test_refuses_to_start_without_the_field_encryption_key(tmp_path: Path) -> None:
    result = run_manage(["check"], {"SECRET_KEY": GOOD_SECRET}, tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "HELPLINE_FIELD_KEYS" in lines[0]


def test_rotated_field_keys_need_the_identity_key_named(tmp_path: Path) -> None:
    """With two field keys, which one keys the caller hashes must not depend on their order."""
    keys = f"{GOOD_FIELD_KEY[::-1]},{GOOD_FIELD_KEY}"
    env = {"SECRET_KEY": GOOD_SECRET, "HELPLINE_FIELD_KEYS": keys}
    result = run_manage(["check"], env, tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "HELPLINE_IDENTITY_KEY" in lines[0]
    code = "from django.conf import settings as s; print(s.IDENTITY_KEY == s.FIELD_KEYS[1])"
    named = run_manage(["shell", "-c", code], env | {"HELPLINE_IDENTITY_KEY": GOOD_FIELD_KEY}, tmp_path)
    assert named.returncode == 0, named.stderr
    assert named.stdout.strip() == "True"


def test_refuses_to_start_under_python_optimize(tmp_path: Path) -> None:
    """-O drops assert statements (.ci/bandit.yaml accepts ours as type narrowing only)."""
    env = {"SECRET_KEY": GOOD_SECRET, "HELPLINE_FIELD_KEYS": GOOD_FIELD_KEY, "PYTHONOPTIMIZE": "1"}
    result = run_manage(["check"], env, tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "-O" in lines[0]
    assert run_manage(["check"], env | {"PYTHONOPTIMIZE": ""}, tmp_path).returncode == 0


def test_deploy_check_reports_nothing_in_production(tmp_path: Path) -> None:
    env = {"SECRET_KEY": "k7#" + GOOD_SECRET + "Zq!9", "HELPLINE_FIELD_KEYS": GOOD_FIELD_KEY}
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_sqlite_is_the_default_under_the_data_dir(tmp_path: Path) -> None:
    code = "from django.conf import settings as s; print(s.DATABASES['default']['NAME'])"
    result = run_manage(["shell", "-c", code], {"HELPLINE_DEBUG": "1"}, tmp_path)
    assert result.stdout.strip() == str(tmp_path / "helpline.sqlite3")


def test_database_url_selects_postgresql_and_redis_url_the_redis_layer(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE']); print(s.CHANNEL_LAYERS['default']['BACKEND'])"
    )
    env = {
        "HELPLINE_DEBUG": "1",
        "DATABASE_URL": "postgres://u@127.0.0.1:5432/x",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    out = run_manage(["shell", "-c", code], env, tmp_path).stdout.split()
    assert out == ["helpline.common.postgresql", "channels_redis.core.RedisChannelLayer"]
    out = run_manage(["shell", "-c", code], {"HELPLINE_DEBUG": "1"}, tmp_path).stdout.split()
    assert out == ["helpline.common.sqlite3", "helpline.common.layers.ThrottledInMemoryChannelLayer"]


def test_idle_timeout_is_configurable(tmp_path: Path) -> None:
    code = "from django.conf import settings as s; print(s.SESSION_COOKIE_AGE)"
    env = {"HELPLINE_DEBUG": "1", "HELPLINE_IDLE_MINUTES": "10"}
    assert run_manage(["shell", "-c", code], env, tmp_path).stdout.strip() == "600"


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_foreign_keys() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite pragmas; PostgreSQL enforces foreign keys always")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1


def test_healthz_answers_while_the_process_runs(client: object, db: None) -> None:
    from django.test import Client

    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_answers_200_when_the_database_answers(db: None) -> None:
    from django.test import Client

    response = Client().get("/readyz")
    assert response.status_code == 200 and response.json()["database"] == "up"


def test_readyz_answers_503_without_a_stack_trace_when_the_database_is_down(tmp_path: Path) -> None:
    # A real unreachable PostgreSQL (nothing listens on port 1): health stays 200, ready says 503.
    code = (
        "from django.test import Client; c = Client(); "
        "r = c.get('/readyz'); print(r.status_code); print(r.content.decode()); "
        "print(c.get('/healthz').status_code)"
    )
    env = {
        "HELPLINE_DEBUG": "0",
        "SECRET_KEY": GOOD_SECRET,
        "HELPLINE_FIELD_KEYS": GOOD_FIELD_KEY,
        "HELPLINE_HTTPS": "0",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
    }
    result = run_manage(["shell", "-c", code], env, tmp_path)
    status, body, health = result.stdout.strip().splitlines()
    assert status == "503"
    assert "Traceback" not in body and "127.0.0.1" not in body and "nobody" not in body
    assert health == "200"
