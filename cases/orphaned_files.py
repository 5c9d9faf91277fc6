"""The orphaned-files sweep (SPEC §4, §8): uploaded files that no attachment row names, older than a day.

A post writes its files first and its rows last, in one transaction (``cases.attachments.store_files``); when
the commit fails after the files were written (the database went away, the process was killed) a file can stay
behind with no row. Nobody can download it (downloads go through the rows), but it holds disk space and a
district's data, so the sweep deletes it.

There is no table of files, so what is due comes from a walk of the private storage rather than from an
indexed column: each file in the storage's layout (``YYYY/MM/<32 hex digits>``, ``random_storage_name``) whose
last write is more than ``ORPHAN_AGE`` ago, and that no attachment row names (looked up by the index of
``Attachment.file``, a thousand names per query). Anything else in the directory is never touched.

Why a day: a file is written moments before its row commits, so a young file without a row is most likely a
post still being saved; a day is far beyond any transaction, and a file a day old can no longer gain a row
(every post writes new random names).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import batched

from cases.attachments import private_storage
from cases.models import Attachment

ORPHAN_AGE = timedelta(days=1)
# The names ``random_storage_name`` gives, with the suffix Django's storage adds if a name was ever taken.
STORED_NAME = re.compile(r"\d{4}/\d{2}/[0-9a-f]{32}(_[A-Za-z0-9]{7})?")
LOOKUP_CHUNK = 1000


@dataclass(frozen=True)
class StoredFile:
    """A file in the private storage, as the job's due row: its storage name and when it was last written."""

    pk: str
    modified_at: datetime
    size: int

    @property
    def due_at(self) -> datetime:
        """When the file, if still without a row, becomes an orphan to delete."""
        return self.modified_at + ORPHAN_AGE

    def __str__(self) -> str:
        return self.pk


def stored_files() -> Iterator[StoredFile]:
    """Every file of the storage's layout, in no particular order."""
    root = private_storage().location
    if not os.path.isdir(root):
        return
    for year in os.scandir(root):
        if not (year.is_dir(follow_symlinks=False) and year.name.isdigit()):
            continue
        for month in os.scandir(year.path):
            if not (month.is_dir(follow_symlinks=False) and month.name.isdigit()):
                continue
            for entry in os.scandir(month.path):
                name = f"{year.name}/{month.name}/{entry.name}"
                if entry.is_file(follow_symlinks=False) and STORED_NAME.fullmatch(name):
                    stat = entry.stat(follow_symlinks=False)
                    yield StoredFile(name, datetime.fromtimestamp(stat.st_mtime, tz=UTC), stat.st_size)


def due_orphans(now: datetime) -> list[StoredFile]:
    """The files old enough at ``now`` that no attachment row names, oldest first."""
    old = [f for f in stored_files() if f.due_at <= now]
    named: set[str] = set()
    for chunk in batched(old, LOOKUP_CHUNK):
        names = [f.pk for f in chunk]
        named.update(Attachment.objects.filter(file__in=names).values_list("file", flat=True))
    return sorted((f for f in old if f.pk not in named), key=lambda f: (f.due_at, f.pk))


def delete_orphan(name: str, now: datetime) -> str | None:
    """Delete one orphaned file after re-checking it: still in the layout, still old enough at ``now``, still
    without a row. ``None`` when there was nothing to do (another sweep deleted it first, it was written again,
    or a row names it). Deleting twice is deleting once."""
    if not STORED_NAME.fullmatch(name):
        return None
    path = private_storage().path(name)
    try:
        stat = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if datetime.fromtimestamp(stat.st_mtime, tz=UTC) + ORPHAN_AGE > now:
        return None
    if Attachment.objects.filter(file=name).exists():
        return None
    try:
        os.unlink(path)
    except FileNotFoundError:
        return None
    return f"deleted {name} ({stat.st_size} bytes, no attachment names it)"


def describe_orphan(row: StoredFile, now: datetime) -> str:
    return f"would delete {row.pk} ({row.size} bytes, last written {row.modified_at:%Y-%m-%d %H:%M} UTC)"
