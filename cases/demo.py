"""Demo cases: every case type, and a case in every status, made through the same services as real ones so
their events, SLA times and e-mails are consistent. Idempotent: a demo case whose subject already exists in its
district is not made again."""

from __future__ import annotations

import struct
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from cases.casetypes import CaseType, Team
from cases.models import Case, DevIssue, Disruption, ImpactAssessment, Module, Priority
from cases.services import (
    case_assign,
    case_close,
    case_escalate,
    case_reopen,
    case_set_status,
    case_submit,
    impact_assess,
    permission_grant,
    post_create,
)
from cases.workflow import Status
from contacts.models import District, User
from portal.lib import businesstime

ADVISOR = "avery.morgan@support.example.com"


@dataclass(frozen=True)
class DemoCase:
    district: str
    contact: str
    case_type: CaseType
    subject: str
    description: str
    days_ago: int
    status: Status = Status.NEW
    priority: Priority = Priority.MEDIUM
    module: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _business_day(after: date, n: int) -> date:
    return businesstime.add_business_days(
        timezone.make_aware(datetime.combine(after, datetime.min.time())), n
    ).date


def _cases(today: date) -> list[DemoCase]:
    dana = "dana.whitfield@maplegrove.example.org"
    marcus = "marcus.lee@maplegrove.example.org"
    priya = "priya.raman@maplegrove.example.org"
    return [
        DemoCase(
            "maple-grove",
            dana,
            CaseType.APPLICATION_ISSUE,
            "Teachers unable to post grades",
            "None of the English Literature teachers at Maple Grove High are able to post grades. The Post button "
            "in their grade books is greyed out. Only teachers of this course are affected.",
            2,
            Status.NEW,
            Priority.HIGH,
            "Grade Book",
            {
                "application_type": "campus_learning",
                "steps_to_reproduce": "1. Log in as teacher A. Shirley\n"
                "2. Open Grade Book for 1100-1\n3. Select Q1, Quarter grade task\n4. Click Post: it is greyed out.",
                "who_is_impacted": "English Lit 1100 teachers",
                "expected_results": "Post button is active",
                "issue_began": (today - timedelta(days=3)).isoformat(),
            },
        ),
        DemoCase(
            "maple-grove",
            marcus,
            CaseType.ASK_QUESTION,
            "How do we set up a snow day?",
            "We expect snow on Monday. What is the best way to mark the day as a non-instructional day?",
            6,
            Status.ASSIGNED,
            Priority.LOW,
            "Attendance",
            {"location": "Calendar > Days"},
        ),
        DemoCase(
            "maple-grove",
            dana,
            CaseType.REPORT_OUTAGE,
            "Campus inaccessible for all users",
            "Since 7:40 this morning nobody can log in; the login page times out.",
            40,
            Status.CLOSED,
            Priority.CRITICAL,
            None,
            {"error_message": "504 Gateway Time-out"},
        ),
        DemoCase(
            "maple-grove",
            marcus,
            CaseType.REQUEST_TRAINING,
            "Scheduling training for counselors",
            "Our four counselors are new to the scheduling board and need a session before spring scheduling.",
            9,
            Status.SCHEDULED,
            Priority.LOW,
            None,
            {
                "request_type": "virtual",
                "training_date_1": _business_day(today, 5).isoformat(),
                "training_date_2": _business_day(today, 7).isoformat(),
            },
        ),
        DemoCase(
            "maple-grove",
            dana,
            CaseType.DATA_RESTORE,
            "Restore deleted enrollment records",
            "A clerk deleted the fall enrollments of 12 students at Lincoln Elementary by mistake.",
            12,
            Status.PENDING_CUSTOMER_VERIFICATION,
            Priority.HIGH,
            "Enrollments",
            {
                "date_of_loss": (today - timedelta(days=13)).isoformat(),
                "restore_reason": "Deleted by mistake while ending enrollments.",
                "written_permission": True,
            },
        ),
        DemoCase(
            "maple-grove",
            priya,
            CaseType.SERVER_ISSUE,
            "Reporting server errors overnight",
            "The SSRS reporting server logs connection errors between 01:00 and 03:00 every night.",
            15,
            Status.ASSIST_REQUEST,
            Priority.MEDIUM,
            "Ad Hoc Reporting",
            {
                "error_message": "A network-related error occurred while establishing a connection to SQL Server.",
                "issue_began": (today - timedelta(days=20)).isoformat(),
            },
        ),
        DemoCase(
            "maple-grove",
            priya,
            CaseType.SERVER_ACCESS,
            "SQL Server access for data analyst",
            "Our new data analyst needs read access to the database to run SQL scripts.",
            20,
            Status.PENDING_CUSTOMER_INPUT,
            Priority.LOW,
            None,
            {"request_type": "sql_server", "schema_bootcamp": True},
        ),
        DemoCase(
            "maple-grove",
            dana,
            CaseType.MODIFY_CONTACTS,
            "Replace retiring registrar",
            "Our registrar retires at the end of the month; please replace her as a support contact.",
            25,
            Status.REOPENED,
            Priority.LOW,
            None,
            {
                "request_type": "replace",
                "contact_first_name": "Rosa",
                "contact_last_name": "Delgado",
                "contact_email": "rosa.delgado@maplegrove.example.org",
                "contact_type": "authorized",
                "areas": ["sis"],
                "replacement_name": "Chris Doyle",
            },
        ),
        DemoCase(
            "maple-grove",
            marcus,
            CaseType.REQUEST_CONSULTING,
            "Standards-based grading consultation",
            "We are moving K-5 to standards-based grading next year and want guidance on setup.",
            30,
            Status.ASSIGNED_TO_DEVELOPMENT,
            Priority.LOW,
            None,
            {"consult_date_1": _business_day(today, 10).isoformat()},
        ),
        DemoCase(
            "maple-grove",
            dana,
            CaseType.REQUEST_TECHNICAL_SERVICES,
            "Custom transcript layout",
            "We need our transcript to show dual-credit courses in their own section.",
            35,
            Status.AVAILABLE_IN_RELEASE,
            Priority.LOW,
            "Transcripts",
            {"service_type": "custom_report", "desired_completion": _business_day(today, 30).isoformat()},
        ),
        DemoCase(
            "maple-grove",
            marcus,
            CaseType.APPLICATION_ISSUE,
            "Attendance letters print blank",
            "Truancy letters print as blank pages since the last update.",
            90,
            Status.CLOSED,
            Priority.MEDIUM,
            "Attendance",
            {"application_type": "campus_application", "steps_to_reproduce": "Attendance > Letters > Print"},
        ),
        DemoCase(
            "cedar-falls",
            "jordan.ruiz@cedarfalls.example.org",
            CaseType.APPLICATION_ISSUE,
            "Parent portal shows wrong balances",
            "Parents see food service balances from last week in Campus Parent.",
            4,
            Status.ASSIGNED,
            Priority.HIGH,
            "Food Service",
            {
                "application_type": "portals",
                "steps_to_reproduce": "Log in as a parent, open Fees > Food Service.",
            },
        ),
        DemoCase(
            "riverbend",
            "sam.patel@riverbend.example.org",
            CaseType.ASK_QUESTION,
            "Where is the state attendance report?",
            "Where can I find the state attendance extract for the end of the quarter?",
            1,
            Status.NEW,
            Priority.LOW,
            "State Reporting",
            {},
        ),
    ]


def _walk(case: Case, target: Status, advisor: User, contact: User, start: datetime) -> None:
    """Move a freshly submitted case to ``target`` through the services, as an advisor and its contact would."""
    step = iter(range(1, 100))

    def at() -> datetime:
        return start + timedelta(hours=2 * next(step))

    if target == Status.NEW:
        return
    case_assign(actor=advisor, case=case, assignee=advisor, now=at())
    post_create(author=advisor, case=case, body="<p>Thanks, we are looking into it.</p>", now=at())
    if target == Status.ASSIGNED:
        return
    if target in (Status.CLOSED, Status.REOPENED):
        case_set_status(
            actor=advisor,
            case=case,
            status=Status.PENDING_CUSTOMER_VERIFICATION,
            resolution="<p>This is resolved on our side; please confirm it works for you.</p>",
            now=at(),
        )
        case_close(actor=contact, case=case, now=at())
        if target == Status.REOPENED:
            case_reopen(actor=contact, case=case, details="<p>It happened again this morning.</p>", now=at())
        return
    if target in (Status.ASSIGNED_TO_DEVELOPMENT, Status.AVAILABLE_IN_RELEASE):
        issue, _ = DevIssue.objects.get_or_create(
            number=f"DEV-{48000 + case.number % 1000}", defaults={"title": case.subject}
        )
        case_set_status(
            actor=advisor, case=case, status=Status.ASSIGNED_TO_DEVELOPMENT, dev_issue=issue, now=at()
        )
        if target == Status.AVAILABLE_IN_RELEASE:
            case_set_status(
                actor=advisor,
                case=case,
                status=Status.AVAILABLE_IN_RELEASE,
                release_name="2026.11 Release Pack",
                now=at(),
            )
        return
    resolution = "<p>We restored the data; please check and confirm.</p>"
    # A planned action a week of business days from today, whenever the demo is loaded.
    planned = businesstime.nth_business_day_after(timezone.localdate(), 5)
    case_set_status(
        actor=advisor, case=case, status=target, resolution=resolution, scheduled_for=planned, now=at()
    )


def seed_cases(users: dict[str, User]) -> int:
    """Make the demo cases that do not exist yet; return how many were made."""
    now = timezone.now()
    advisor = users[ADVISOR]
    districts = {d.slug: d for d in District.objects.all()}
    # The module list comes from a data migration; get_or_create keeps the seed working on a flushed database.
    modules = {
        name: Module.objects.get_or_create(name=name)[0]
        for name in {d.module for d in _cases(timezone.localdate(now)) if d.module}
    }
    made = 0
    for demo in _cases(timezone.localdate(now)):
        district = districts[demo.district]
        if Case.objects.filter(district=district, subject=demo.subject).exists():
            continue
        contact = users[demo.contact]
        local_day = timezone.localdate(now) - timedelta(days=demo.days_ago)
        submitted = timezone.make_aware(datetime.combine(local_day, datetime.min.time())) + timedelta(hours=8)
        case = case_submit(
            submitter=contact,
            district=district,
            contact=contact,
            case_type=demo.case_type,
            subject=demo.subject,
            description=demo.description,
            priority=demo.priority,
            module=modules.get(demo.module) if demo.module else None,
            details=_parse_dates(demo),
            now=submitted,
        )
        _walk(case, demo.status, advisor, contact, submitted)
        made += 1
    seed_case_pages(users)
    return made


def _parse_dates(demo: DemoCase) -> dict[str, Any]:
    """Detail dates are given as ISO strings above; the services take dates."""
    from cases.casetypes import CASE_TYPES

    spec = CASE_TYPES[demo.case_type]
    values = dict(demo.details)
    for d in spec.details:
        if d.kind == "date" and isinstance(values.get(d.name), str):
            values[d.name] = date.fromisoformat(values[d.name])
    return values


# ---------------------------------------------------------------------------------------------------------------
# The case page: conversations with attachments, an internal note, an escalation, an impact assessment
# and a written permission, so the demo case pages look like real ones. Idempotent: every post carries a token
# derived from its case and position, and a post already made is not made again.


def _demo_png(width: int = 560, height: int = 260) -> bytes:
    """A small PNG that looks like a screenshot of an error dialog (pure Python, no imaging library)."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            if y < 36:
                pixel = (180, 35, 24)  # red title bar
            elif 70 <= y < 84 and 24 <= x < 420:
                pixel = (60, 70, 84)  # "text"
            elif (100 <= y < 110 and 24 <= x < 500) or (120 <= y < 130 and 24 <= x < 380):
                pixel = (150, 160, 172)
            elif 196 <= y < 230 and width - 150 <= x < width - 24:
                pixel = (18, 53, 91)  # "OK" button
            else:
                pixel = (246, 247, 249)
            row.extend(pixel)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _demo_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and a few lines of text."""
    text = ["BT /F1 16 Tf 72 740 Td (" + title + ") Tj ET"]
    for i, line in enumerate(lines):
        text.append(f"BT /F1 11 Tf 72 {710 - 18 * i} Td ({line}) Tj ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


_SSRS_LOG = """2026-11-10 01:02:14 ERROR ReportServer Connection to SQL01\\CAMPUS failed: timeout expired (30 s)
2026-11-10 01:17:40 ERROR ReportServer Connection to SQL01\\CAMPUS failed: timeout expired (30 s)
2026-11-10 02:03:05 WARN  ReportServer Subscription 'Daily attendance' delayed, retrying
2026-11-10 02:44:51 ERROR ReportServer Connection to SQL01\\CAMPUS failed: a network-related error occurred
2026-11-10 03:01:12 INFO  ReportServer Connection restored
"""


def _token(case: Case, index: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"support-portal-demo:{case.district_id}:{case.subject}:{index}")


def seed_case_pages(users: dict[str, User]) -> None:
    """Enrich three demo cases with what the case page shows. Safe to run again."""
    advisor = users[ADVISOR]
    priya = users["priya.raman@maplegrove.example.org"]
    dana = users["dana.whitfield@maplegrove.example.org"]
    maple = District.objects.get(slug="maple-grove")

    server = Case.objects.filter(district=maple, subject="Reporting server errors overnight").first()
    if server is not None:
        start = server.created_at + timedelta(days=1)
        conversation: list[tuple[User, str, list[ContentFile], bool]] = [
            (
                priya,
                "<p>Here is the server log of last night and a screenshot of what the attendance clerk sees "
                "at 7 a.m. when the <strong>Daily attendance</strong> subscription did not run.</p>",
                [
                    ContentFile(_SSRS_LOG.encode(), name="ssrs-errors-2026-11-10.log"),
                    ContentFile(_demo_png(), name="subscription-error.png"),
                ],
                False,
            ),
            (
                advisor,
                "<p>Thank you, Priya. The timeouts line up with the nightly backup window. To narrow it down:</p>"
                "<ol><li>Which backup job runs on SQL01 between 01:00 and 03:00?</li>"
                "<li>Is the reporting server on the same virtual host as SQL01?</li>"
                "<li>Did anything change on the network around <em>October 28</em>?</li></ol>",
                [],
                False,
            ),
            (
                advisor,
                "<p>Checked with Managed Services: the backup job takes a full snapshot at 01:00. "
                "Likely cause; waiting for the district to confirm the host layout.</p>",
                [],
                True,
            ),
            (
                priya,
                "<p>The full backup runs at 01:00 and takes about two hours, and yes, both servers share "
                "one host. Nothing changed on our network in October.</p>",
                [],
                False,
            ),
        ]
        for index, (author, body, files, internal) in enumerate(conversation):
            post_create(
                author=author,
                case=server,
                body=body,
                internal=internal,
                attachments=files,
                client_token=_token(server, index),
                now=start + timedelta(hours=index * 3),
            )
        server.refresh_from_db()
        if not ImpactAssessment.objects.filter(case=server).exists():
            impact_assess(
                actor=advisor,
                case=server,
                disruption=Disruption.MODERATE,
                workaround_exists=True,
                multiple_users=True,
                now=start + timedelta(hours=10),
            )
        if server.written_permission_at is None and server.written_permission_withdrawn_at is None:
            permission_grant(actor=priya, case=server, now=start + timedelta(hours=11))

    cedar = Case.objects.filter(
        district__slug="cedar-falls", subject="Parent portal shows wrong balances"
    ).first()
    if cedar is not None and cedar.team != Team.DEVELOPMENT:
        case_escalate(
            actor=advisor,
            case=cedar,
            team=Team.DEVELOPMENT,
            note="<p>We reproduced the stale balances in our test site and are escalating this case to "
            "<strong>Development</strong>. We will post here as soon as a fix is scheduled.</p>",
            now=cedar.updated_at + timedelta(hours=2),
        )

    grades = Case.objects.filter(district=maple, subject="Teachers unable to post grades").first()
    if grades is not None:
        post_create(
            author=dana,
            case=grades,
            body='<p>This is what Ms. Shirley sees in her grade book:</p><p><img src="/attachments/new/0" '
            'alt="The Post button is greyed out"></p><p>It started after Friday\'s update.</p>',
            pasted=[ContentFile(_demo_png(), name="grade-book.png")],
            client_token=_token(grades, 0),
            now=grades.created_at + timedelta(hours=3),
        )

    restore = Case.objects.filter(district=maple, subject="Restore deleted enrollment records").first()
    if restore is not None and restore.status != Status.CLOSED:
        post_create(
            author=advisor,
            case=restore,
            body="<p>The restore report is attached: all 12 enrollments are back with their schedules.</p>",
            attachments=[
                ContentFile(
                    _demo_pdf(
                        "Restore report: Lincoln Elementary",
                        ["12 enrollments restored (fall term).", "Schedules and attendance kept."],
                    ),
                    name="restore-report-lincoln.pdf",
                )
            ],
            client_token=_token(restore, 0),
            now=restore.status_changed_at + timedelta(minutes=5),
        )
