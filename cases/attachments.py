"""Attachment files (SPEC §4, RELIABILITY rule 2): where they are stored and which ones are accepted.

* Files live in a private storage under ``settings.PRIVATE_MEDIA_ROOT`` (outside ``STATIC_ROOT`` and any
  ``MEDIA_URL``) under random names; the storage has no URL. The only way out is the authorized download view.
* A file is accepted when its extension is on the allow-list **and** its first bytes are what that extension
  promises (magic bytes; for Office files the parts inside the ZIP). The content type sent on download is the
  one of the allow-list, never the browser's.
* At most ``ATTACHMENT_MAX_PER_POST`` files per post, each at most ``ATTACHMENT_MAX_BYTES`` (settings).

This module does not import the models (the ``Attachment`` model imports the storage from here).
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.deconstruct import deconstructible

HEAD_BYTES = 64 * 1024


# --- storage ---------------------------------------------------------------------------------------------------


@deconstructible
class PrivateStorage(FileSystemStorage):
    """A file system storage rooted at ``settings.PRIVATE_MEDIA_ROOT`` (read on every use, so tests can point it
    at a temporary directory) that refuses to make URLs: private files are served only by the download view."""

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no public URL; link to the attachment download view instead.")


_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _storage


def random_storage_name(instance: Any, filename: str) -> str:
    """``YYYY/MM/<32 random hex digits>``: unguessable, no extension, nothing of the uploaded name."""
    now = timezone.now()
    return f"{now:%Y}/{now:%m}/{uuid.uuid4().hex}"


# --- the allow-list -------------------------------------------------------------------------------------------

Check = Callable[[bytes, IO[bytes]], bool]


def _starts(*prefixes: bytes) -> Check:
    return lambda head, _file: head.startswith(prefixes)


def _webp(head: bytes, _file: IO[bytes]) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _zip_with(folder: str) -> Check:
    """An Office Open XML file: a ZIP whose parts include ``[Content_Types].xml`` and ``<folder>/``."""

    def check(head: bytes, file: IO[bytes]) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            names = zipfile.ZipFile(file).namelist()  # reads the central directory only
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            file.seek(0)
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)

    return check


def _zip(head: bytes, file: IO[bytes]) -> bool:
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return False
    try:
        zipfile.ZipFile(file).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        file.seek(0)
    return True


_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def _text(head: bytes, _file: IO[bytes]) -> bool:
    """Plain text: no NUL or other control bytes; UTF-8 (with or without BOM) or a single-byte Windows text."""
    if _CONTROL.search(head):
        return False
    for cut in range(4):  # the head may end inside a multi-byte character
        try:
            head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / .xls / .ppt / Outlook .msg


@dataclass(frozen=True)
class FileKind:
    label: str
    content_type: str
    check: Check
    image: bool = False


ALLOWED: dict[str, FileKind] = {
    "pdf": FileKind("PDF document", "application/pdf", _starts(b"%PDF-")),
    "png": FileKind("PNG image", "image/png", _starts(b"\x89PNG\r\n\x1a\n"), image=True),
    "jpg": FileKind("JPEG image", "image/jpeg", _starts(b"\xff\xd8\xff"), image=True),
    "jpeg": FileKind("JPEG image", "image/jpeg", _starts(b"\xff\xd8\xff"), image=True),
    "gif": FileKind("GIF image", "image/gif", _starts(b"GIF87a", b"GIF89a"), image=True),
    "webp": FileKind("WebP image", "image/webp", _webp, image=True),
    "txt": FileKind("text file", "text/plain; charset=utf-8", _text),
    "log": FileKind("log file", "text/plain; charset=utf-8", _text),
    "csv": FileKind("CSV file", "text/csv; charset=utf-8", _text),
    "docx": FileKind(
        "Word document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _zip_with("word/"),
    ),
    "xlsx": FileKind(
        "Excel workbook",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _zip_with("xl/"),
    ),
    "pptx": FileKind(
        "PowerPoint presentation",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _zip_with("ppt/"),
    ),
    "doc": FileKind("Word document", "application/msword", _starts(OLE2)),
    "xls": FileKind("Excel workbook", "application/vnd.ms-excel", _starts(OLE2)),
    "ppt": FileKind("PowerPoint presentation", "application/vnd.ms-powerpoint", _starts(OLE2)),
    "msg": FileKind("Outlook message", "application/vnd.ms-outlook", _starts(OLE2)),
    "rtf": FileKind("RTF document", "application/rtf", _starts(b"{\\rtf")),
    "zip": FileKind("ZIP archive", "application/zip", _zip),
}
ALLOWED_EXTENSIONS = sorted(ALLOWED)
IMAGE_EXTENSIONS = sorted(ext for ext, kind in ALLOWED.items() if kind.image)
# For the file input's ``accept`` attribute: a hint for the browser's file chooser, never relied on.
ACCEPT = ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)


def max_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_BYTES)


def max_per_post() -> int:
    return int(settings.ATTACHMENT_MAX_PER_POST)


# --- checking uploads ---------------------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f<>:\"/\\|?*]+")


def clean_filename(name: str) -> str:
    """The uploaded name without any path, control or reserved characters, at most 120 characters with the
    extension kept; never empty, never hidden (leading dot)."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_NAME.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "file"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = ext[:10]
    limit = 120 - (len(ext) + 1 if ext else 0)
    stem = stem[:limit].rstrip(" .") or "file"
    return f"{stem}.{ext}" if ext else stem


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check: what to store and how to serve it."""

    file: Any  # django.core.files.uploadedfile.UploadedFile (or any File with name, size, read, seek)
    name: str
    size: int
    kind: FileKind
    inline: bool = False


def check_file(upload: Any, *, image_only: bool = False) -> CheckedFile:
    """Check one upload (extension, size, content) and return it with its cleaned name and server-chosen type.
    Raises ValidationError with a message that names the file."""
    name = clean_filename(getattr(upload, "name", "") or "")
    size = int(upload.size or 0)
    ext = extension(name)
    kind = ALLOWED.get(ext)
    if kind is None or (image_only and not kind.image):
        allowed = IMAGE_EXTENSIONS if image_only else ALLOWED_EXTENSIONS
        raise ValidationError(
            f"{name}: this type of file is not accepted. Accepted: {', '.join('.' + e for e in allowed)}."
        )
    if size > max_bytes():
        raise ValidationError(
            f"{name} is {filesizeformat(size)}; each file may be at most {filesizeformat(max_bytes())}."
        )
    if size == 0:
        raise ValidationError(f"{name} is empty.")
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if not kind.check(head, upload):
        raise ValidationError(f"{name} does not look like a {kind.label}; it was not attached.")
    return CheckedFile(file=upload, name=name, size=size, kind=kind, inline=image_only)


def check_files(files: Sequence[Any], pasted: Sequence[Any] = ()) -> list[CheckedFile]:
    """Check every file of one post; all errors at once, so the person can fix them in one go."""
    total = len(files) + len(pasted)
    if total > max_per_post():
        raise ValidationError(
            f"You attached {total} files; a post can have at most {max_per_post()}. "
            "Share the rest in a second post."
        )
    checked: list[CheckedFile] = []
    errors: list[ValidationError] = []
    for upload, image_only in [*((f, False) for f in files), *((f, True) for f in pasted)]:
        try:
            checked.append(check_file(upload, image_only=image_only))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return checked


def store_files(
    attachments: Sequence[Any], checked: Sequence[CheckedFile], *, save_rows: Callable[[], object]
) -> None:
    """Write the checked files of new attachment rows under random names in the private storage, then save the
    rows with ``save_rows``. The last step of a post's transaction: if a file cannot be written or the rows
    cannot be saved, the files already written are deleted and the error rolls the whole post back."""
    written: list[str] = []
    try:
        for attachment, item in zip(attachments, checked, strict=True):
            item.file.seek(0)
            attachment.file.save(item.name, item.file, save=False)
            written.append(str(attachment.file.name))
            attachment.full_clean(exclude=["case", "post", "uploaded_by"])
        save_rows()
    except BaseException:
        storage = private_storage()
        for name in written:
            storage.delete(name)
        raise


# --- upload limits while the request is read ---------------------------------------------------------------


class AttachmentLimitHandler(FileUploadHandler):
    """Runs first among the upload handlers of the posting views: files beyond the per-post count, and every
    byte of a file beyond the size limit, are skipped while the request is read instead of being written to a
    temporary file. What was skipped is noted on the request (``request.upload_refusals``) so the view can refuse
    the post with a clear message and keep the text."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.count = 0
        self.received = 0
        self.refusals: list[str] = []
        if request is not None:
            request.upload_refusals = self.refusals  # type: ignore[attr-defined]

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self.count += 1
        self.received = 0
        if self.count > max_per_post():
            if self.count == max_per_post() + 1:
                self.refusals.append(
                    f"A post can have at most {max_per_post()} files; share the rest in a second post."
                )
            raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > max_bytes():
            self.refusals.append(
                f"{clean_filename(self.file_name or '')} is larger than {filesizeformat(max_bytes())}, "
                "the most a file may be."
            )
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
