"""deploy/ says only what this code understands: every command a unit or a compose service runs
exists, with options the program knows; every setting in the example environment is one Helpline
reads; the compose copy of the nginx site differs from the systemd one only where it must.
(tests/test_scale_out.py runs deploy/nginx/helpline.conf itself in front of two servers.)"""

from __future__ import annotations

import configparser
import difflib
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

from helpline.common import queues
from helpline.common.management.commands.serve import worker_children

PROJECT = Path(__file__).resolve().parents[1]
DEPLOY = PROJECT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def uvicorn_options() -> set[str]:
    help_text = subprocess.run(
        [sys.executable, "-m", "uvicorn", "--help"], capture_output=True, text=True, check=True
    ).stdout
    return set(re.findall(r"(--[a-z][a-z-]+)", help_text))


def check_command(argv: list[str], known_uvicorn: set[str]) -> None:
    """A Helpline process: `python manage.py <command>` or `python -m uvicorn config.asgi:application`."""
    args = argv[1:]
    if args[:2] == ["-m", "uvicorn"]:
        assert args[2] == "config.asgi:application"
        for option in (a for a in args[3:] if a.startswith("--")):
            assert option in known_uvicorn, f"uvicorn has no option {option}"
        return
    assert args[0] == "manage.py", argv
    assert args[1] in get_commands(), f"manage.py has no command {args[1]}"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text().replace("\\\n", " "))
    return parser


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_systemd_unit_runs_a_helpline_process_as_its_own_user(path: Path) -> None:
    service = unit(path)["Service"]
    assert service["User"] == "helpline" and service["EnvironmentFile"] == "/etc/helpline/env"
    assert service["Restart"] == "always"
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == "/srv/helpline/.venv/bin/python"
    check_command(argv, uvicorn_options())


def test_the_target_starts_every_role_but_the_optional_pbx_connector() -> None:
    wants = unit(DEPLOY / "systemd" / "helpline.target")["Unit"]["Wants"].split()
    for name in wants:
        template = re.sub(r"@[^.]+\.service$", "@.service", name)
        assert (DEPLOY / "systemd" / template).exists(), name
    assert {"helpline-worker.service", "helpline-scheduler.service"} <= set(wants)
    assert sum(name.startswith("helpline-web@") for name in wants) >= 2
    # Every queue has a worker among the units the target starts, and the replies' worker takes
    # no report build (a report of minutes would hold up a child's reply).
    workers = [
        shlex.split(unit(DEPLOY / "systemd" / name)["Service"]["ExecStart"])
        for name in wants
        if "@" not in name and "worker" in name
    ]
    assert_every_queue_served(workers)


def worker_queues(argv: list[str]) -> str:
    """The --queue-name a `manage.py worker` command line gives (the worker's default: every queue)."""
    assert argv[1:3] == ["manage.py", "worker"], argv
    return argv[argv.index("--queue-name") + 1] if "--queue-name" in argv else queues.EVERY


def assert_every_queue_served(workers: list[list[str]]) -> None:
    served = [worker_queues(argv) for argv in workers]
    for queue in settings.TASKS["default"]["QUEUES"]:
        assert any(queues.serves(names, queue) for names in served), f"no worker for the {queue} queue"
    replies = [names for names in served if queues.serves(names, queues.DEFAULT)]
    assert replies and not any(queues.serves(names, queues.REPORTS) for names in replies), served


def test_serve_runs_a_worker_for_every_queue_and_builds_reports_apart_from_replies() -> None:
    workers = [list(child.argv) for child in worker_children("python")]
    assert_every_queue_served(workers)


def test_every_compose_service_runs_a_known_command_and_the_servers_share_redis() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    dockerfile = PROJECT / services["web"]["build"]["dockerfile"]
    assert dockerfile.exists()
    default = re.search(r"^CMD (\[.*?\])$", dockerfile.read_text().replace("\\\n", ""), re.M | re.S)
    assert default is not None
    known = uvicorn_options()
    check_command(yaml.safe_load(default.group(1)), known)
    for name in ("worker", "report-worker", "scheduler", "ami"):
        check_command(services[name]["command"], known)
    assert_every_queue_served(
        [
            command
            for command in (service.get("command") for service in services.values())
            if command and "worker" in command
        ]
    )
    assert services["web"]["deploy"]["replicas"] >= 2
    assert services["web"]["environment"]["REDIS_URL"].startswith("redis://")
    migrate = services["migrate"]["command"][-1]
    assert "manage.py migrate" in migrate and "manage.py collectstatic" in migrate


def test_the_compose_nginx_site_differs_only_in_upstream_and_certificates() -> None:
    systemd = (DEPLOY / "nginx" / "helpline.conf").read_text().splitlines()
    compose = (DEPLOY / "nginx" / "compose.conf").read_text().splitlines()
    changed = [
        line[1:].strip()
        for line in difflib.unified_diff(systemd, compose, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    allowed = re.compile(
        r"^(#.*|server (127\.0\.0\.1:800\d|web:8000) max_fails=0;|ssl_certificate(_key)? +\S+;)$"
    )
    assert changed and all(allowed.match(line) for line in changed), changed


def test_every_setting_in_the_example_environment_is_read_by_helpline() -> None:
    names = re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (DEPLOY / "env.example").read_text(), re.M)
    sources = "\n".join(
        path.read_text() for folder in ("config", "helpline") for path in (PROJECT / folder).rglob("*.py")
    )
    compose_only = {"POSTGRES_PASSWORD"}
    for name in set(names) - compose_only:
        assert f'"{name}"' in sources, f"nothing reads {name}"
    assert "POSTGRES_PASSWORD" in (DEPLOY / "compose.yaml").read_text()
