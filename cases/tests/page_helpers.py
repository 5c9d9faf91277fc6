"""Helpers for the case page tests: cases in a status, files of every kind, row and file counts."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Attachment, Case, CaseEvent, Post, Recipient
from cases.tests.factories import put_in_status, submit_case
from cases.workflow import Status
from contacts.models import User
from jobs.tasks import run_job
from outbox.models import OutboundEmail


@pytest.fixture(autouse=True, name="private_media")
def private_media_fixture(settings, tmp_path: Path) -> Path:
    """Attachments go to a temporary directory of the test, never to var/private."""
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = root
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def make_case(
    personas: Any,
    status: Status = Status.ASSIGNED,
    *,
    contact: User | None = None,
    at: datetime | None = None,
    subject: str = "Teachers unable to post grades",
) -> Case:
    """A district A case submitted by the support contact through the service (recipients, events, e-mail),
    then put into ``status`` (with the advisor assigned) for set-up."""
    case = submit_case(district=personas.district_a, contact=contact or personas.support, subject=subject)
    if status != Status.NEW:
        case = put_in_status(
            case, status, advisor=personas.advisor, at=at or timezone.now() - timedelta(hours=1)
        )
    OutboundEmail.objects.all().delete()  # the submission's confirmation is not what these tests look at
    return case


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def url(name: str, case: Case, **query: str) -> str:
    path = reverse(f"cases:{name}", kwargs={"number": case.number})
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return path


def counts() -> dict[str, int]:
    """What an action writes: posts, attachments, events, recipients, queued e-mail."""
    return {
        "posts": Post.objects.count(),
        "attachments": Attachment.objects.count(),
        "events": CaseEvent.objects.count(),
        "recipients": Recipient.objects.count(),
        "outbox": OutboundEmail.objects.count(),
    }


def deliver_mail() -> list[mail.EmailMessage]:
    """Send what the outbox holds, as the sweep job would, and return the messages sent."""
    mail.outbox.clear()
    run_job("email-outbox")
    return list(mail.outbox)


# --- files ----------------------------------------------------------------------------------------------------


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    raw = b"".join(b"\x00" + b"\x80\x90\xa0" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf(name: str = "report.pdf") -> SimpleUploadedFile:
    return upload(name, PDF, "application/pdf")


def png(name: str = "screen.png") -> SimpleUploadedFile:
    return upload(name, png_bytes(), "image/png")


def post_data(body: str = "<p>Here is more information.</p>", **extra: Any) -> dict[str, Any]:
    """What the post form sends when the editor ran (format html), with a fresh token unless given."""
    import uuid

    data: dict[str, Any] = {"body": body, "format": "html", "token": str(uuid.uuid4())}
    data.update(extra)
    return data


def iter_attachment_paths(case: Case) -> Iterator[str]:
    for attachment in Attachment.objects.filter(case=case):
        yield attachment.file.name
