"""Where attached files' bytes live: a small Protocol, the local-disk store every installation
starts with, and the point where an S3-compatible store plugs in.

Keys are `<business_id>/<sha256>` (services/attachments.py makes them): content-addressed, so a
blob never changes once written, writing it twice is harmless, and one business's identical
files share one blob; the business prefix keeps businesses' blobs apart (deleting a business's
files, or a bucket policy per prefix)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

# What a key may look like; anything else (`..`, absolute paths) never reaches the filesystem.
_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}/[0-9a-f]{64}")


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`; a key already stored is left as it is (same content)."""

    def get(self, key: str) -> bytes:
        """The bytes under `key`, or FileNotFoundError."""

    def delete(self, key: str) -> None:
        """Forget `key`; a missing key is not an error."""


class LocalDisk:
    """Blobs as files under one directory (the data directory's `attachments/`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed into place, so a crash or a concurrent reader never sees
        # half a file under the final name.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> list[str]:
        """Every stored key (tests and operators' checks; not for request paths)."""
        if not self.root.exists():
            return []
        return sorted(
            f"{path.parent.name}/{path.name}"
            for path in self.root.glob("*/*")
            if not path.name.startswith(".")
        )


# An S3-compatible store (AWS S3, Cloudflare R2, MinIO, Backblaze B2) implements the same three
# methods with PUT Object (If-None-Match: * keeps writes once-only), GET Object (NoSuchKey ->
# FileNotFoundError) and DELETE Object, using the key as the object name inside one private
# bucket; signing is SigV4. It would be chosen in `services.attachments.store_for` from settings
# (bucket, endpoint, credentials). Not shipped yet: local disk needs no dependency.
