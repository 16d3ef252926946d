"""Test settings: the production settings (DEBUG off, Argon2, deny by default) with test keys in
the environment and a temporary data directory."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 60)
os.environ.setdefault("HELPLINE_FIELD_KEYS", "dGVzdC1maWVsZC1rZXktZm9yLWhlbHBsaW5lLXRlc3RzIQ==")
os.environ.setdefault("HELPLINE_HTTPS", "0")
os.environ.setdefault("HELPLINE_DATA_DIR", tempfile.mkdtemp(prefix="helpline-test-"))

from config.settings import *  # noqa: F403

ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# The demo app is loaded whatever HELPLINE_DEMO says, so its commands can be tested with DEMO
# turned on per test (they still refuse without it); tests/test_demo_app.py checks a process
# with demo mode off, where it is absent.
if "helpline.demo" not in INSTALLED_APPS:  # noqa: F405
    INSTALLED_APPS.append("helpline.demo")  # noqa: F405
# Tests build triage's second scorer when they first use it, never in a background thread.
TRIAGE_MODEL_WARM = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # pytest-django holds a transaction open for a whole test; a process-wide writer queue would
    # make any other thread's write wait for it. Tests of the queue turn it on themselves.
    SQLITE_WRITER_QUEUE = False
    # A file, not the shared in-memory database: WAL, locking and threads behave as in production.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(os.environ["HELPLINE_DATA_DIR"], "test.sqlite3")}  # noqa: F405

# The suite serves its sockets in its own process (channels communicators), without an ASGI
# server starting: its pushes go straight to the in-memory layer (helpline.common.live).
LIVE_SOCKETS_HERE = True
