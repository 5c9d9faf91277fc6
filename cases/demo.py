"""Demo cases: every case type, and a case in every status, made through the same services as real ones so
their events, SLA times and e-mails are consistent. Idempotent: a demo case whose subject already exists in its
district is not made again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from cases.casetypes import CaseType
from cases.models import Case, DevIssue, Module, Priority
from cases.services import case_assign, case_close, case_reopen, case_set_status, case_submit, post_create
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
    case_set_status(actor=advisor, case=case, status=target, resolution=resolution, now=at())


def seed_cases(users: dict[str, User]) -> int:
    """Make the demo cases that do not exist yet; return how many were made."""
    now = timezone.now()
    advisor = users[ADVISOR]
    districts = {d.slug: d for d in District.objects.all()}
    modules = {m.name: m for m in Module.objects.all()}
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
