"""Work kept between runs in the user's own cache folder: the parsed plan (pipeline.plan.loading) and the
report's charts (pipeline.report.charts). Each is keyed by the sha256 of everything it was made from,
including this program's code (`code_version`), so a kept result is never stale: other inputs or other code
find no file under their key and do the work again.

A kept file is `magic + sha256(payload) + payload`: a file damaged in any way, cut short or of another kind
is not used. It is read only from a folder and file that only this user can write (a kept plan is a pickle,
a kept chart goes into the web page). Writing is best effort: a folder that cannot be written only costs the
time saved.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import sys
from pathlib import Path

from pipeline import platform

CACHE_ENV = "GYOZAI_CACHE"     # a folder for kept work, or "off"; default: the user's cache folder


@functools.cache
def code_version() -> str:
    """sha256 of every source file of this program and the Python version."""
    digest = hashlib.sha256(sys.version.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def cache_folder(kind: str, env: str | None = None) -> Path | None:
    """The folder for kept work of `kind` ("plans", "charts"): `env` or GYOZAI_CACHE if set (a folder, or
    "off"), else <user cache folder>/gyozai/<kind>. None when keeping is off."""
    for name in (env, CACHE_ENV):
        setting = os.environ.get(name, "") if name else ""
        if setting.lower() in ("off", "0", "no"):
            return None
        if setting:
            return Path(setting) if name == env else Path(setting) / kind
    return platform.user_cache_folder() / "gyozai" / kind


def read_kept(path: Path, magic: bytes) -> bytes | None:
    """The payload of a kept file, or None when it is missing, damaged, of another kind or not private."""
    try:
        if not (_private(path.parent) and _private(path)):
            return None
        kept = path.read_bytes()
    except OSError:
        return None
    head = len(magic) + 32
    if not kept.startswith(magic) or hashlib.sha256(kept[head:]).digest() != kept[len(magic):head]:
        return None
    try:
        os.utime(path)      # recently used: kept longest
    except OSError:
        pass
    return kept[head:]


def write_kept(path: Path, magic: bytes, payload: bytes, *, keep: int | None = None) -> None:
    """Keep `payload` at `path` (whole or not at all); with `keep`, then remove all but the `keep` most recently
    used files of its folder (else the caller calls `prune` once after many)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(temporary, "xb") as fh:
            fh.write(magic + hashlib.sha256(payload).digest() + payload)
        platform.replace(temporary, path)
        if keep is not None:
            prune(path.parent, keep)
    except OSError:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass


def _private(path: Path) -> bool:
    """Whether only this user can have written `path` (platform.only_user_can_write)."""
    return platform.only_user_can_write(path)


def prune(folder: Path, keep: int) -> None:
    """Remove all but the `keep` most recently used kept files of `folder` (best effort)."""
    try:
        kept = sorted(((p.stat().st_mtime_ns, p) for p in folder.glob("*.kept")), reverse=True)
        for _mtime, old in kept[keep:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
