"""Schemathesis against a real Helpline server with production settings, from outside.

A fresh SQLite data folder is migrated, an API token holding every scope is made, uvicorn serves
with HELPLINE_DEBUG off (plain HTTP on loopback: HELPLINE_HTTPS=0), and `schemathesis run` tries
every operation of /api/v1/openapi.json with every check (no 5xx, answers as the schema says, bad
input refused, valid input accepted, nothing served without the token) on at least EXAMPLES
examples each, in every phase (examples, coverage, fuzzing, stateful). Its exit status is this
script's. The formats of our own come from tests/api_formats.py (SCHEMATHESIS_HOOKS).

    .venv/bin/python .ci/api_fuzz.py [--examples N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from tests.servers import Children, free_port, manage, server_env, wait_until_healthy  # noqa: E402

EXAMPLES = 100
ISSUE_CREDENTIAL = (
    "from helpline.accounts.permissions import Scope\n"
    "from helpline.accounts.services import api_token_create\n"
    "print(api_token_create(None, name='schemathesis', scopes=[s.value for s in Scope])[1])\n"
)


def production_env(data_dir: Path) -> dict[str, str]:
    return server_env(
        data_dir,
        {
            "HELPLINE_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "HELPLINE_FIELD_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "HELPLINE_HTTPS": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "HELPLINE_TRIAGE_WARM": "0",
            "HELPLINE_LOG_LEVEL": "WARNING",
        },
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=EXAMPLES)
    parser.add_argument("--keep", type=Path, help="work in this folder and leave it (logs, report)")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="helpline-api-fuzz-"))
    base.mkdir(parents=True, exist_ok=True)
    env = production_env(base / "data")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    token = manage(env, "shell", "-c", ISSUE_CREDENTIAL).stdout.strip().splitlines()[-1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    children = Children()
    log_path = base / "server.log"
    try:
        server = children.start(
            "helpline server",
            [
                *(sys.executable, "-m", "uvicorn", "config.asgi:application"),
                *("--host", "127.0.0.1", "--port", str(port), "--no-server-header", "--no-access-log"),
            ],
            log_path,
            env=env,
        )
        wait_until_healthy(url, server, log_path)
        fuzz_env = dict(os.environ, SCHEMATHESIS_HOOKS="tests.api_formats", PYTHONPATH=str(PROJECT_DIR))
        argv = [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(PROJECT_DIR / ".ci" / "schemathesis.toml"),
            "run",
            f"{url}/api/v1/openapi.json",
            "--checks",
            "all",
            "--mode",
            "all",
            "--max-examples",
            str(args.examples),
            "--seed",
            "1280",
            "--no-shrink",
            "--generation-database",
            "none",
            "--max-response-time",
            "10",
            "--request-timeout",
            "30",
            "--workers",
            "2",
            "--header",
            f"Authorization: Bearer {token}",
            "--report",
            "junit",
            "--report-dir",
            str(base / "report"),
            "--no-color",
        ]
        print(f"schemathesis against {url} (production settings), {args.examples} examples per operation")
        done = subprocess.run(argv, cwd=PROJECT_DIR, env=fuzz_env, check=False)  # noqa: S603
        server_log = log_path.read_text(errors="replace")
        if "Traceback" in server_log:
            print("the server logged a traceback:\n" + server_log[-4000:])
            return 1
        return done.returncode
    finally:
        children.stop_all()
        if not args.keep:
            subprocess.run(["rm", "-rf", str(base)], check=False)  # noqa: S603, S607


if __name__ == "__main__":
    sys.exit(main())
