"""Encrypted backups of the database and the stored files, and their restore.

A backup file is a gzipped tar stream (manifest.json, the database, media/...) cut into chunks of
CHUNK_BYTES, each sealed with Fernet (AES-128-CBC + HMAC-SHA256, the `cryptography` package) under
a key the administrator keeps. Fernet seals whole messages, so the stream is chunked:

    MAGIC (16 bytes) | version (1) | backup id (16) | len (4) | Fernet(KEY_CHECK + id)
    then chunks:     len (4) | Fernet(id (16) | index (8) | last (1) | data)

Tokens are stored as raw bytes (base64 decoded): smaller, and one bit flipped anywhere fails the
HMAC (base64 text has bits a decoder ignores). The key check tells a wrong key from a damaged
file. Each chunk carries the backup's id and its index, and the final one says it is last: a chunk
moved, dropped, taken from another backup, or a file cut short is refused, not restored in part.
A restore unpacks and checks everything before it touches the database.

The database copy is consistent while the system runs: SQLite's online backup API copies in one
step (a WAL reader: writers go on, and none of their commits is copied in part); pg_dump reads one
snapshot. Stored files are copied after the database: a file a row names was there before the row
was copied.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import struct
import subprocess  # nosec B404  # pg_dump and pg_restore, never through a shell
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import connection, connections
from django.db.models import Model

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.contacts.models import Caller, Contact

MAGIC = b"HELPLINE-BACKUP\n"
VERSION = 1
KEY_CHECK = b"helpline-backup-key-check:"
CHUNK_BYTES = 1 << 20
# A sealed chunk is its data and under 100 bytes more; anything much longer is not ours.
MAX_TOKEN_BYTES = CHUNK_BYTES * 2
KEY_ENV = "HELPLINE_BACKUP_KEY"
KEY_FILE_ENV = "HELPLINE_BACKUP_KEY_FILE"
DB_SQLITE = "database.sqlite3"
DB_POSTGRES = "database.pgdump"


def _data_models() -> list[type[Model]]:
    """An installation holds data once anyone has an account or anything was recorded (every
    write is audited). A freshly migrated database has none of these."""
    return [Staff, AuditEvent, Contact, Caller]


class BackupError(Exception):
    """A refusal or failure an operator must read: one clear sentence, no traceback."""


def new_key() -> str:
    return Fernet.generate_key().decode()


def load_key(key_file: str | None = None) -> Fernet:
    """The key from --key-file, HELPLINE_BACKUP_KEY_FILE or HELPLINE_BACKUP_KEY, in that order."""
    path = key_file or os.environ.get(KEY_FILE_ENV, "")
    if path:
        try:
            raw = Path(path).read_text().strip()
        except OSError as exc:
            raise BackupError(f"cannot read the backup key file {path}: {exc.strerror}") from None
    else:
        raw = os.environ.get(KEY_ENV, "").strip()
    if not raw:
        raise BackupError(
            f"no backup key: set {KEY_ENV} or {KEY_FILE_ENV}, or pass --key-file "
            "(`manage.py backup --new-key` prints a new one)"
        )
    try:
        return Fernet(raw.encode())
    except ValueError:
        raise BackupError(
            "the backup key is not a valid key (44 characters of URL-safe base64, "
            "as `manage.py backup --new-key` prints)"
        ) from None


# --- The sealed stream ------------------------------------------------------------------------


def _raw(token: bytes) -> bytes:
    return base64.urlsafe_b64decode(token)


class SealingWriter(io.RawIOBase):
    """A write-only stream that seals what it is given, chunk by chunk, onto `out`."""

    def __init__(self, out: IO[bytes], fernet: Fernet) -> None:
        self._out = out
        self._fernet = fernet
        self._id = os.urandom(16)
        self._index = 0
        self._buffer = bytearray()
        check = _raw(fernet.encrypt(KEY_CHECK + self._id))
        out.write(MAGIC + bytes([VERSION]) + self._id + struct.pack(">I", len(check)) + check)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        while len(self._buffer) >= CHUNK_BYTES:
            self._seal(bytes(self._buffer[:CHUNK_BYTES]), last=False)
            del self._buffer[:CHUNK_BYTES]
        return len(data)

    def _seal(self, data: bytes, *, last: bool) -> None:
        plain = self._id + struct.pack(">QB", self._index, 1 if last else 0) + data
        token = _raw(self._fernet.encrypt(plain))
        self._out.write(struct.pack(">I", len(token)) + token)
        self._index += 1

    def finish(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()


class UnsealingReader(io.RawIOBase):
    """Reads a sealed stream back; raises BackupError on a wrong key or any damage."""

    def __init__(self, source: IO[bytes], fernet: Fernet) -> None:
        self._in = source
        self._fernet = fernet
        magic = source.read(len(MAGIC))
        if magic != MAGIC and not (magic and MAGIC.startswith(magic)):
            raise BackupError("this is not a Helpline backup file")
        head = magic + self._exactly(len(MAGIC) + 1 + 16 - len(magic), what="header")
        if head[len(MAGIC)] != VERSION:
            raise BackupError(f"backup format {head[len(MAGIC)]} is not one this version reads")
        self._id = head[len(MAGIC) + 1 :]
        check = self._token(what="header")
        try:
            plain = fernet.decrypt(check)
        except InvalidToken:
            raise BackupError("wrong backup key (or a damaged file header): nothing was restored") from None
        if plain != KEY_CHECK + self._id:
            raise BackupError("the backup file header is damaged: nothing was restored")
        self._index = 0
        # The current chunk's data, read from an offset (slicing it per read would copy it each time).
        self._pending = memoryview(b"")
        self._done = False

    def _exactly(self, n: int, *, what: str) -> bytes:
        data = self._in.read(n)
        if len(data) != n:
            raise BackupError(f"the backup file is cut short ({what}): nothing was restored")
        return data

    def _token(self, *, what: str) -> bytes:
        (length,) = struct.unpack(">I", self._exactly(4, what=what))
        if length > MAX_TOKEN_BYTES:
            raise BackupError("the backup file is damaged (a chunk length is wrong): nothing was restored")
        return base64.urlsafe_b64encode(self._exactly(length, what=what))

    def _next_chunk(self) -> None:
        token = self._token(what=f"chunk {self._index}")
        try:
            plain = self._fernet.decrypt(token)
        except InvalidToken:
            raise BackupError(
                f"the backup file is damaged at chunk {self._index}: nothing was restored"
            ) from None
        index, last = struct.unpack(">QB", plain[16:25]) if len(plain) >= 25 else (-1, 0)
        if plain[:16] != self._id or index != self._index:
            raise BackupError("the backup file's chunks are out of order or mixed: nothing was restored")
        self._index += 1
        self._pending = memoryview(plain)[25:]
        if last:
            self._done = True
            if self._in.read(1):
                raise BackupError("the backup file has data after its end: nothing was restored")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._done:
            self._next_chunk()
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]  # a view: no copy
        return n

    def drain(self) -> None:
        """Read to the sealed end: a file cut after the tar's end is refused too. What the tar
        reader left (the gzip trailer, padding) was sealed with the rest, so it is ours."""
        while not self._done:
            self._next_chunk()
        self._pending = memoryview(b"")


# --- Taking a backup --------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    engine: str
    database_bytes: int
    files: int
    file_bytes: int


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of a {vendor} database are not supported")
    return vendor


def _sqlite_snapshot(target: Path) -> None:
    name = str(connection.settings_dict["NAME"])
    if not Path(name).exists():
        raise BackupError(f"the database file {name} does not exist")
    source = sqlite3.connect(name, timeout=30)
    copy = sqlite3.connect(target)
    try:
        # pages=-1: one step, under one read transaction. Step by step, every commit by another
        # connection restarts the copy, which under steady writes may never finish.
        source.backup(copy, pages=-1)
        # A self-contained file: no -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        copy.close()
        source.close()
    if result != "ok":
        raise BackupError(f"the database copy fails SQLite's integrity check: {result}")


def _pg_env() -> dict[str, str]:
    s = connection.settings_dict
    env = dict(os.environ)
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if s.get(key):
            env[var] = str(s[key])
    env["PGDATABASE"] = str(s["NAME"])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _tool_major(path: str) -> int:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout  # noqa: S603  # nosec B603  # our own argv, no shell
    try:
        return int(out.split()[-1].split(".")[0])
    except (IndexError, ValueError):
        raise BackupError(f"cannot read the version of {path}: {out.strip()!r}") from None


def _server_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603  # our own argv, no shell
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()][-5:]
        raise BackupError(f"{what} failed: " + " / ".join(lines))


def _postgres_dump(target: Path) -> None:
    pg_dump = _tool("pg_dump")
    tool, server = _tool_major(pg_dump), _server_major()
    if tool < server:
        raise BackupError(f"pg_dump is version {tool} but the server is {server}: install pg_dump {server}")
    _run([pg_dump, "--format=custom", f"--file={target}"], _pg_env(), "pg_dump")


def _media_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _applied_migrations() -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [[app, name] for app, name in cursor.fetchall()]


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def default_output() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.DATA_DIR) / "backups" / f"helpline-{stamp}.backup"


def backup_write(output: Path, fernet: Fernet) -> BackupSummary:
    """Snapshot the database, then seal it with the stored files into `output` (written under a
    temporary name and renamed, mode 600: a cut-off run leaves no file that looks whole)."""
    engine = _engine()
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="helpline-backup-") as work:
        db_name = DB_SQLITE if engine == "sqlite" else DB_POSTGRES
        db_path = Path(work) / db_name
        if engine == "sqlite":
            _sqlite_snapshot(db_path)
        else:
            _postgres_dump(db_path)
        files = list(_media_files(media_root))
        manifest = {
            "format": VERSION,
            "engine": engine,
            "created": dt.datetime.now(dt.UTC).isoformat(),
            "database": db_name,
            "migrations": _applied_migrations(),
        }
        partial = output.with_name(output.name + ".partial")
        file_bytes = 0
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw:
                sealer = SealingWriter(raw, fernet)
                with tarfile.open(fileobj=sealer, mode="w|gz") as tar:
                    _add_bytes(tar, "manifest.json", json.dumps(manifest).encode())
                    tar.add(db_path, arcname=db_name, recursive=False)
                    for path in files:
                        try:
                            tar.add(path, arcname="media/" + path.relative_to(media_root).as_posix())
                        except FileNotFoundError:
                            continue  # deleted since the walk
                        file_bytes += path.stat().st_size if path.exists() else 0
                sealer.finish()
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, output)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return BackupSummary(output, engine, db_path.stat().st_size, len(files), file_bytes)


# --- Restoring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreSummary:
    engine: str
    files: int
    created: str
    moved_aside: Path | None


def _unpack(path: Path, fernet: Fernet, into: Path) -> dict[str, Any]:
    try:
        source = path.open("rb")
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    with source:
        reader = UnsealingReader(source, fernet)
        try:
            with tarfile.open(fileobj=reader, mode="r|gz") as tar:
                tar.extractall(into, filter="data")
            reader.drain()
        except BackupError:
            raise
        except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as exc:
            raise BackupError(
                f"the backup file's contents are damaged ({exc}): nothing was restored"
            ) from None
    try:
        manifest: dict[str, Any] = json.loads((into / "manifest.json").read_text())
    except (OSError, ValueError):
        raise BackupError("the backup holds no readable manifest: nothing was restored") from None
    if not (into / str(manifest.get("database", "-"))).is_file():
        raise BackupError("the backup holds no database: nothing was restored")
    return manifest


def database_is_empty() -> bool:
    tables = set(connection.introspection.table_names())
    return not any(m._default_manager.exists() for m in _data_models() if m._meta.db_table in tables)


def _media_is_empty(root: Path) -> bool:
    return not root.exists() or not any(root.iterdir())


def _sqlite_restore(copy: Path) -> None:
    name = str(connection.settings_dict["NAME"])
    connections.close_all()
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(copy)
    target = sqlite3.connect(name, timeout=30)
    try:
        # Through the backup API, not a file copy: a -wal beside the target is taken into account.
        source.backup(target, pages=-1)
        result = target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        target.close()
        source.close()
    if result != "ok":
        raise BackupError(f"the restored database fails SQLite's integrity check: {result}")


def _postgres_restore(dump: Path, *, clean: bool) -> None:
    pg_restore = _tool("pg_restore")
    env = _pg_env()
    connections.close_all()
    args = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if clean:
        args += ["--clean", "--if-exists"]
    _run([*args, f"--dbname={env['PGDATABASE']}", str(dump)], env, "pg_restore")


@contextmanager
def _staging(media_root: Path) -> Iterator[Path]:
    # Beside MEDIA_ROOT, so its files move into place by rename, not by copy.
    media_root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=media_root.parent) as work:
        yield Path(work)


def backup_restore(path: Path, fernet: Fernet, *, force: bool = False) -> RestoreSummary:
    """Bring a backup back into this installation: refused unless its database and stored files
    are empty, or `force`. Everything is unpacked and checked before anything is replaced."""
    engine = _engine()
    media_root = Path(settings.MEDIA_ROOT)
    if not force:
        if not database_is_empty():
            raise BackupError(
                "this installation's database already holds data: restore into an empty one "
                "(or pass --force to replace it)"
            )
        if not _media_is_empty(media_root):
            raise BackupError(
                f"the stored-files folder {media_root} is not empty: restore into an empty one "
                "(or pass --force to replace it)"
            )
    with _staging(media_root) as work:
        manifest = _unpack(path, fernet, work)
        if manifest.get("engine") != engine:
            raise BackupError(
                f"this backup is of a {manifest.get('engine')} database; this installation uses {engine}"
            )
        db_file = work / str(manifest["database"])
        if engine == "sqlite":
            _sqlite_restore(db_file)
        else:
            _postgres_restore(db_file, clean=True)
        moved_aside = None
        staged_media = work / "media"
        files = sum(1 for _ in _media_files(staged_media))
        if media_root.exists() and not _media_is_empty(media_root):
            moved_aside = media_root.with_name(
                f"{media_root.name}.before-restore-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
            )
            media_root.rename(moved_aside)
        elif media_root.exists():
            media_root.rmdir()
        if staged_media.is_dir():
            staged_media.rename(media_root)
        else:
            media_root.mkdir(parents=True)
    return RestoreSummary(engine, files, str(manifest.get("created", "")), moved_aside)
