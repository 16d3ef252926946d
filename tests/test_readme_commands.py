"""The README's demo commands, as written, right after `make run`, with nothing else in the environment.

`make run` runs in a copy of this checkout (its own var/, so a developer's demo is left alone) with
an environment of PATH and HOME only, on a free port. `-o install` keeps make from reinstalling into
the shared virtual environment; every other step is `make run`'s own. Then the README's commands run
with the same bare environment. Only `--duration 20` of the simulate line is shortened to 2 s.

And the file that makes it work, var/local.env, must never turn a deployment into debug mode."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import PROJECT_DIR, free_port, wait_until_healthy

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")


def bare_env(home: Path) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"}


def readme_line(command: str) -> str:
    """The README's line (code block or inline code) that runs `manage.py <command>`."""
    found = re.findall(rf"(\.venv/bin/python manage\.py {command}\b[^`\n#]*)", README)
    assert found, f"the README shows no `.venv/bin/python manage.py {command}`"
    return str(found[0]).strip()


def checkout_copy(target: Path) -> Path:
    """This checkout's files as they are now (tracked, and new ones not ignored), without var/."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = PROJECT_DIR / name
        if name.startswith("var/") or not source.is_file() or source.is_symlink():
            continue
        copy = target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(source.read_bytes())
        os.utime(copy, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns))
    (target / ".venv").symlink_to((PROJECT_DIR / ".venv").resolve())
    return target


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int, Path]]:
    base = tmp_path_factory.mktemp("readme")
    checkout = checkout_copy(base / "helpline")
    port = free_port()
    log = base / "make-run.log"
    with log.open("ab") as out:
        make = subprocess.Popen(
            ["make", "-o", "install", "run", f"PORT={port}"],
            cwd=checkout,
            env=bare_env(base),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make, serve and its children: one group to stop
        )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", make, log)
        yield checkout, port, base
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        try:
            make.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()


def run_line(line: str, checkout: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        line.split(),
        cwd=checkout,
        env=bare_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_make_run_leaves_its_settings_readable_by_the_user_alone(demo: tuple[Path, int, Path]) -> None:
    checkout, port, _home = demo
    local_env = checkout / "var" / "local.env"
    assert stat.S_IMODE(local_env.stat().st_mode) == 0o600
    assert local_env.read_text().splitlines()[1:] == [
        "HELPLINE_DEBUG=1",
        "HELPLINE_DEMO=1",
        "HELPLINE_HTTPS=0",
        f"PORT={port}",
        # Links the demo mails or texts (a partner's referral, a child's survey) open on this machine.
        f"HELPLINE_PUBLIC_URL=http://127.0.0.1:{port}",
    ]


def test_the_readme_simulate_line_sends_through_the_demo_server(demo: tuple[Path, int, Path]) -> None:
    checkout, _port, home = demo
    line = readme_line("simulate")
    assert line == ".venv/bin/python manage.py simulate --rate 2 --duration 20"
    result = run_line(line.replace("--duration 20", "--duration 2"), checkout, home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sent: 4 in" in result.stdout and "HTTP status: 200 x4" in result.stdout, result.stdout
    assert "Using the local demo's settings from" in result.stderr
    assert "SECRET_KEY is not set" not in result.stderr


def test_the_readme_audit_verify_line_checks_the_demo_audit_chain(demo: tuple[Path, int, Path]) -> None:
    checkout, _port, home = demo
    result = run_line(readme_line("audit_verify"), checkout, home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"audit chain intact: \d+ events", result.stdout), result.stdout


def test_the_readme_curl_line_sends_a_text_to_the_demo(demo: tuple[Path, int, Path]) -> None:
    checkout, port, _home = demo
    (url,) = re.findall(r'curl "(http://127\.0\.0\.1:8000/hooks/sms/kannel\?[^"]+)"', README)
    secrets = (checkout / "var" / "demo-secrets.json").read_text()
    secret = re.search(r'"kannel_secret": "([^"]+)"', secrets)
    assert secret is not None
    url = url.replace(":8000", f":{port}").replace("KANNEL_SECRET", secret.group(1))
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200


def manage(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("HELPLINE_", "DJANGO_"))}
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PORT"):
        full.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=full | {"HELPLINE_DATA_DIR": str(data_dir)} | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write_local_env(data_dir: Path, mode: int = 0o600) -> Path:
    path = data_dir / "local.env"
    path.write_text("HELPLINE_DEBUG=1\nHELPLINE_DEMO=1\nHELPLINE_HTTPS=0\nSECRET_KEY=x\nPORT=8123\n")
    path.chmod(mode)
    return path


PRINT_MODE = "from django.conf import settings as s; print(s.DEBUG, s.DEMO)"


def test_manage_py_reads_local_env_when_the_environment_says_nothing(tmp_path: Path) -> None:
    write_local_env(tmp_path)
    result = manage(["shell", "--no-imports", "-c", PRINT_MODE], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
    assert f"Using the local demo's settings from {tmp_path / 'local.env'}" in result.stderr
    assert "SECRET_KEY" not in result.stderr  # only the demo's own keys are taken


@pytest.mark.parametrize(
    "deployment",
    [
        {"HELPLINE_DEBUG": "0"},
        {"SECRET_KEY": "k" * 60},
        {"HELPLINE_FIELD_KEYS": "a2V5"},
        {"HELPLINE_DEBUG": ""},
    ],
    ids=["debug off", "a secret key", "field keys", "debug set empty"],
)
def test_a_local_env_never_turns_a_deployment_into_debug_mode(
    tmp_path: Path, deployment: dict[str, str]
) -> None:
    write_local_env(tmp_path)
    result = manage(["check"], tmp_path, **deployment)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("Helpline cannot start:"), result.stderr
    assert "local.env" not in result.stderr


@pytest.mark.parametrize("mode", [0o620, 0o602], ids=["group-writable", "world-writable"])
def test_a_local_env_others_could_have_written_is_ignored(tmp_path: Path, mode: int) -> None:
    path = write_local_env(tmp_path, mode)
    result = manage(["check"], tmp_path)
    assert result.returncode == 1
    assert f"Ignoring {path}: it must belong to you" in result.stderr
    assert "Helpline cannot start: SECRET_KEY is not set" in result.stderr


def test_without_local_env_production_stays_strict(tmp_path: Path) -> None:
    result = manage(["check"], tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "Helpline cannot start: SECRET_KEY is not set (or shorter than 50 characters) "
        "and HELPLINE_DEBUG is off\n"
    )


def test_make_run_log_shows_the_demo_details(demo: tuple[Path, int, Path]) -> None:
    _checkout, _port, home = demo
    log = home / "make-run.log"
    deadline = time.monotonic() + 10  # serve looks at the port twice a second
    while "is serving on" not in log.read_text(errors="replace") and time.monotonic() < deadline:
        time.sleep(0.2)
    text = log.read_text(errors="replace")
    for detail in ("Demo users:", "Demo password:", "Demo Kannel secret:", "is starting on", "is serving on"):
        assert detail in text, text
    # Said once the page opens, not as the server is launched (it listens only after its warm-up).
    assert text.index("is starting on") < text.index("is serving on")


def test_the_quick_start_warns_that_the_demo_is_not_for_a_network() -> None:
    """`make run` turns debug pages on (a 404 lists every URL, a 500 the settings): the quick start
    says so before anyone puts it on an office network, and says where production settings are.
    What it claims is checked against the Makefile and `serve`."""
    quick_start = README.split("## What is here", 1)[0]
    assert re.search(r"`make run` is a demo.*debug pages are on", quick_start, re.S)
    assert "office network" in quick_start and '"Production in brief"' in quick_start
    assert "## Production in brief" in README
    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:.*\n\t@export HELPLINE_DEBUG=1 ", makefile, re.M)  # the warning is true
    serve = (PROJECT_DIR / "helpline/common/management/commands/serve.py").read_text(encoding="utf-8")
    assert 'os.environ.get("HOST", "127.0.0.1")' in serve  # as is "127.0.0.1 unless HOST says otherwise"
