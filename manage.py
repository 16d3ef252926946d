#!/usr/bin/env python
"""Django's command-line utility for Helpline."""

import os
import stat
import sys
from pathlib import Path

# What `make run` writes to the data directory's local.env, so that every later command
# (`manage.py simulate`, `manage.py audit_verify`, ...) runs against the same local demo.
LOCAL_ENV_KEYS = {"HELPLINE_DEBUG", "HELPLINE_DEMO", "HELPLINE_HTTPS", "PORT", "HELPLINE_PUBLIC_URL"}
# Set on a deployment: then the file is never read, whatever it says.
DEPLOYMENT_KEYS = ("HELPLINE_DEBUG", "SECRET_KEY", "HELPLINE_FIELD_KEYS")


def load_local_env() -> None:
    """Read the local demo's settings from <data dir>/local.env when the environment says nothing
    of its own: a file left in var/ must never turn a production machine into debug mode, so it is
    ignored when HELPLINE_DEBUG, SECRET_KEY or HELPLINE_FIELD_KEYS is set, when it is not this
    user's own, or when anyone else may write to it. Only LOCAL_ENV_KEYS are taken, and the
    environment wins over the file. When it is used, one line on stderr says so."""
    if any(key in os.environ for key in DEPLOYMENT_KEYS):
        return
    data_dir = Path(os.environ.get("HELPLINE_DATA_DIR") or Path(__file__).resolve().parent / "var")
    path = data_dir / "local.env"
    try:
        info = path.stat()
    except OSError:
        return
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        sys.stderr.write(f"Ignoring {path}: it must belong to you and be writable by nobody else.\n")
        return
    taken = []
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key in LOCAL_ENV_KEYS and key not in os.environ:
            os.environ[key] = value.strip()
            taken.append(f"{key}={value.strip()}")
    if taken:
        sys.stderr.write(f"Using the local demo's settings from {path}: {' '.join(taken)}\n")


def main() -> None:
    load_local_env()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
