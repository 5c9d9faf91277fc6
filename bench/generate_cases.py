"""Data generator for the case list benchmark: 200,000 cases over 300 districts, 600,000 posts and
2,000 contacts, written with PostgreSQL COPY.

Run from the repository root against a database of its own (never the development database: the script
empties the tables it fills, and refuses a database whose name does not contain "bench"):

    export DATABASE_URL=postgres://…/portal_bench      # plus REDIS_URL, as for the portal
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/generate_cases.py [--cases 200000] [--districts 300] [--posts 600000]
                                              [--contacts 2000] [--seed 6]

Shape of the data (deterministic for a seed):

- District sizes are skewed like a real customer base: "Metro City Public Schools" has exactly 10,000 cases
  (the export benchmark exports all of them), the others follow 1/(rank+20) (from about 3,000 down to about
  200 cases). Every district has a technical contact and two support contacts; the rest of the 2,000 contacts
  are spread by size. Five named contacts are the benchmark's viewers (see ``BENCH_USERS``); one of them works
  for five districts.
- Cases have the ten types, all statuses (about 60 % closed), modules, priorities, three years of dates, and
  subjects/descriptions/posts drawn from a school-software vocabulary, so searches match realistic shares.
  15 % of posts are internal notes. The stored business durations to first response and to resolution are the
  clock durations (the reports read them). Every Critical case has its on-call hour, and every tenth open case
  waits for support's reply (the advisors' "Needs reply" queue).
- The stored search vector is computed in SQL exactly as ``cases.search.index_case`` builds it (subject A,
  description B, public posts C); at the end a sample is re-indexed through ``index_case`` and compared.

Prints the time of each step and writes them to bench/results/case_list_generate.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")  # a command-line tool: the development defaults (SECRET_KEY…) are fine

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models.expressions import RawSQL  # noqa: E402

from cases import search  # noqa: E402
from cases.casetypes import CASE_TYPES, CaseType  # noqa: E402
from cases.models import Case, Module  # noqa: E402
from cases.workflow import Status  # noqa: E402
from contacts.models import User  # noqa: E402
from contacts.roles import ADVISORS_GROUP  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "case_list_generate.json"
PASSWORD = "bench-password-2026"  # noqa: S105 - a throw-away benchmark database
NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
SPAN_DAYS = 3 * 365
BIG_DISTRICT_CASES = 10_000

# The viewers of the benchmark: e-mail -> district ranks (0 = Metro, the largest) and role.
BENCH_USERS: dict[str, tuple[list[int], str]] = {
    "metro.support@bench.example.org": ([0], "support"),
    "median.support@bench.example.org": ([150], "support"),
    "five.districts@bench.example.org": ([0, 1, 2, 60, 150], "support"),
    "small.support@bench.example.org": ([299], "support"),
}
ADVISOR = "advisor@bench.example.org"

FIRST = ["Ana", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jamal", "Kira", "Liam", "Maya", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe"]  # fmt: skip
LAST = ["Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Kowalski", "Lopez", "Murphy", "Nguyen", "Okafor", "Patel", "Quist", "Rivera", "Singh", "Tanaka", "Umar", "Vargas", "Walsh", "Xu", "Young", "Zimmer"]  # fmt: skip
PLACES = ["Maple", "Cedar", "River", "Lake", "Pine", "Oak", "Prairie", "Granite", "Willow", "Aspen", "Summit", "Valley", "Harbor", "Meadow", "Ridge", "Forest", "Spring", "Elm", "Birch", "Falcon"]  # fmt: skip
KINDS = ["Public Schools", "Community Schools", "Unified School District", "Independent School District", "Area Schools"]  # fmt: skip
STATES = ["MN", "WI", "IA", "IL", "ND", "SD", "NE", "KS", "MO", "MI", "OH", "IN"]

SUBJECTS = [
    "Teachers unable to post grades in the grade book",
    "Grade book issues after term change",
    "Grade book totals wrong for {course}",
    "Issues posting grades for {course}",
    "Attendance report missing period {n}",
    "Attendance not saving for substitute teachers",
    "Schedule wizard shows duplicate sections",
    "Student schedules missing after rollover",
    "Password reset e-mail not received by parents",
    "Parent portal login fails for some families",
    "Transcript GPA calculation differs from report card",
    "Report cards print blank comments",
    "State reporting extract fails validation",
    "Enrollment end dates not saving",
    "Fee payments not posting to student accounts",
    "Food service balances incorrect after import",
    "Health screening records cannot be edited",
    "Behavior referral workflow stuck",
    "Messenger voice calls not delivered",
    "Ad hoc report times out",
    "Special education plan locked",
    "Census household merge request",
    "How do I set up a snow day?",
    "Request training for new office staff",
    "Data restore for deleted assignments",
    "Server disk space warning on application server",
    "SQL Server access for new data analyst",
    "Online registration form shows wrong year",
    "Counseling notes visible to the wrong group",
    "User accounts locked after tool rights change",
]
COURSES = ["English 9", "Algebra I", "Biology", "US History", "Chemistry", "Spanish II", "Art 1", "PE 10"]
SENTENCES = [
    "Teachers at {place} High report the problem since {day}.",
    "The Post button in the grade book is greyed out for every section of {course}.",
    "It happens for all students in the section, not only a few.",
    "We cleared the browser cache and tried another browser with the same result.",
    "The attendance report for period {n} shows no students.",
    "Parents say the password reset link never arrives in their inbox.",
    "The schedule wizard lists each section twice after the rollover.",
    "Our state reporting extract stops with a validation error on the enrollment records.",
    "Counselors need the transcript GPA to match the report card before applications are due.",
    "Office staff cannot save end dates on enrollments for transferred students.",
    "Fee payments made online do not appear on the student account.",
    "The food service import ran overnight but balances are still wrong.",
    "This affects about {n}0 users across the district.",
    "Steps to reproduce are attached as screenshots.",
    "We need this fixed before the end of the grading period on {day}.",
    "The error message says the request could not be completed.",
    "There is no workaround that teachers can use.",
    "Nothing changed on our side except the latest release pack.",
]
REPLIES = [
    "Thank you for the details. I was able to reproduce the issue on a copy of your site.",
    "Could you send the name of one affected teacher and the section number?",
    "The grade book issue is caused by the grading task setup for the term.",
    "I updated the posting window and teachers should be able to post grades now.",
    "Please confirm that the attendance report shows all periods again.",
    "The schedule wizard duplicates were removed; please review the sections.",
    "We sent the password reset instructions again and checked the mail logs.",
    "The transcript GPA now follows the same rounding as the report card.",
    "This has been escalated to development as a product defect.",
    "The fix is available in the next release pack.",
    "Confirmed, everything works as expected now. Thank you.",
    "Teachers still cannot post grades in two sections.",
]
INTERNAL = [
    "Internal: customer site uses an old grading task template; check with Tier 2.",
    "Internal: possible data corruption in enrollment table, do not share yet.",
    "Internal: escalation approved by the team lead.",
]
DAYS = ["Monday", "Tuesday", "last week", "the rollover", "Friday", "the holiday break"]

# Statuses with weights (about 60 % closed).
STATUS_WEIGHTS = [
    (Status.CLOSED, 60),
    (Status.ASSIGNED, 10),
    (Status.NEW, 4),
    (Status.ASSIST_REQUEST, 3),
    (Status.PENDING_CUSTOMER_INPUT, 6),
    (Status.PENDING_CUSTOMER_VERIFICATION, 6),
    (Status.SCHEDULED, 3),
    (Status.ASSIGNED_TO_DEVELOPMENT, 4),
    (Status.AVAILABLE_IN_RELEASE, 2),
    (Status.REOPENED, 2),
]
TYPE_WEIGHTS = [
    (CaseType.APPLICATION_ISSUE, 40),
    (CaseType.ASK_QUESTION, 25),
    (CaseType.REPORT_OUTAGE, 2),
    (CaseType.REQUEST_TRAINING, 6),
    (CaseType.DATA_RESTORE, 4),
    (CaseType.SERVER_ISSUE, 4),
    (CaseType.SERVER_ACCESS, 3),
    (CaseType.MODIFY_CONTACTS, 8),
    (CaseType.REQUEST_CONSULTING, 3),
    (CaseType.REQUEST_TECHNICAL_SERVICES, 5),
]


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        course=rng.choice(COURSES), n=rng.randint(1, 8), place=rng.choice(PLACES), day=rng.choice(DAYS)
    )


def district_sizes(total: int, districts: int) -> list[int]:
    """Metro first with exactly 10,000 cases, the rest by 1/(rank+20), summing to ``total``."""
    big = min(BIG_DISTRICT_CASES, total // 2)
    rest = total - big
    weights = [1 / (rank + 20) for rank in range(1, districts)]
    scale = rest / sum(weights)
    sizes = [int(w * scale) for w in weights]
    for i in range(rest - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return [big, *sizes]


def guard_database() -> str:
    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise SystemExit(
            f"Refusing to fill database {name!r}: its name must contain 'bench' (this script empties tables)."
        )
    return name


def required_columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND is_nullable = 'NO' "
            "AND column_default IS NULL AND is_identity = 'NO'",
            [table],
        )
        return {row[0] for row in cursor.fetchall()}


def check_columns(table: str, given: list[str]) -> None:
    missing = required_columns(table) - set(given)
    if missing:
        raise SystemExit(f"{table} has required columns this generator does not fill: {sorted(missing)}")


def copy_rows(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def vacuum(
    tables: tuple[str, ...] = (
        "cases_case",
        "cases_post",
        "contacts_user",
        "contacts_membership",
        "contacts_district",
    ),
) -> float:
    """VACUUM (ANALYZE) the tables until the visibility map covers the case table, as autovacuum keeps it in
    production (index-only scans depend on it). A transaction open elsewhere in the cluster (another session's
    test run) holds VACUUM back, so it is retried for a while. Returns the share of all-visible case pages."""
    share = 0.0
    for attempt in range(30):
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
            cursor.execute(
                "SELECT relallvisible::float / greatest(relpages, 1) FROM pg_class WHERE relname = 'cases_case'"
            )
            share = cursor.fetchone()[0]
        if share >= 0.95:
            break
        if attempt == 0:
            print(
                "  waiting for transactions open elsewhere in the cluster before VACUUM can mark pages all-visible"
            )
        time.sleep(2)
    return share


class Timer:
    def __init__(self) -> None:
        self.steps: dict[str, float] = {}
        self._start = time.perf_counter()
        self._step = self._start

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.steps[name] = round(now - self._step, 2)
        print(f"  {name:<52} {now - self._step:7.1f} s", flush=True)
        self._step = now

    @property
    def total(self) -> float:
        return round(time.perf_counter() - self._start, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--districts", type=int, default=300)
    parser.add_argument("--posts", type=int, default=600_000)
    parser.add_argument("--contacts", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    if args.districts < 300 and any(max(ranks) >= args.districts for ranks, _ in BENCH_USERS.values()):
        raise SystemExit(
            "--districts must be at least 300 (the benchmark's viewers use districts up to rank 299)."
        )

    database = guard_database()
    rng = random.Random(args.seed)
    timer = Timer()
    print(f"Generating into {database}: {args.cases:,} cases, {args.districts} districts, {args.posts:,} posts, "
          f"{args.contacts:,} contacts (seed {args.seed})")  # fmt: skip

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE cases_post, cases_caseevent, cases_recipient, cases_case, contacts_membership, "
            "contacts_district, contacts_user RESTART IDENTITY CASCADE"
        )
        cursor.execute("ALTER SEQUENCE cases_case_number_seq RESTART WITH 100001")
    timer.done("empty the tables")

    # Districts
    sizes = district_sizes(args.cases, args.districts)
    districts = []
    names: set[str] = set()
    for rank in range(args.districts):
        if rank == 0:
            name = "Metro City Public Schools"
        else:
            name = f"{rng.choice(PLACES)} {rng.choice(PLACES)} {rng.choice(KINDS)}"
            while name in names:
                name = f"{rng.choice(PLACES)} {rng.choice(PLACES)} {rng.choice(KINDS)} {rng.randint(2, 999)}"
        names.add(name)
        slug = "-".join(name.lower().split())
        districts.append((rank + 1, name, slug, rng.choice(STATES), True, NOW))
    copy_rows("contacts_district", ["id", "name", "slug", "state", "is_active", "created_at"], districts)

    # Contacts and memberships: a technical and two support contacts per district, the rest by size.
    password = make_password(PASSWORD)
    users: list[tuple[Any, ...]] = []
    memberships: list[tuple[Any, ...]] = []
    authorized: dict[int, list[int]] = {d[0]: [] for d in districts}

    def add_user(email: str, first: str, last: str, staff: bool = False) -> int:
        user_id = len(users) + 1
        users.append((user_id, password, False, email, first, last, "", "", True, staff, NOW))
        return user_id

    def add_membership(user_id: int, district_id: int, role: str) -> None:
        memberships.append((user_id, district_id, role, "[]", True, NOW, NOW))
        if role != "read_only":
            authorized[district_id].append(user_id)

    for email, (ranks, role) in BENCH_USERS.items():
        user_id = add_user(email, "Bench", email.split("@")[0].replace(".", " ").title())
        for rank in ranks:
            add_membership(user_id, rank + 1, role)
    plain = args.contacts - len(BENCH_USERS)
    for index in range(plain):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        user_id = add_user(f"{first}.{last}.{index}@district{index % 300}.example.org".lower(), first, last)
        if index < 3 * args.districts:
            district_id, role = index // 3 + 1, ("technical", "support", "support")[index % 3]
        else:
            district_id = rng.choices(range(1, args.districts + 1), weights=sizes)[0]
            role = rng.choice(["support", "implementation", "implementation", "read_only", "read_only"])
        add_membership(user_id, district_id, role)
    advisor_id = add_user(ADVISOR, "Avery", "Advisor", staff=True)
    user_columns = ["id", "password", "is_superuser", "email", "first_name", "last_name", "title", "phone", "is_active", "is_staff", "date_joined"]  # fmt: skip
    check_columns("contacts_user", user_columns)
    copy_rows("contacts_user", user_columns, users)
    membership_columns = ["user_id", "district_id", "role", "areas", "is_active", "created_at", "updated_at"]
    check_columns("contacts_membership", membership_columns)
    copy_rows("contacts_membership", membership_columns, memberships)
    with connection.cursor() as cursor:
        for table in ("contacts_user", "contacts_district"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
    # The advisor holds the advisor role (staff status alone is not enough: contacts.roles).
    User.groups.through.objects.create(user_id=advisor_id, group=Group.objects.get(name=ADVISORS_GROUP))
    timer.done(f"districts, {len(users):,} users, {len(memberships):,} memberships")

    # Cases and posts, staged in temporary tables and inserted with their search vectors in one statement.
    modules = list(Module.objects.values_list("pk", flat=True))
    # Posts per case: skewed (many cases have none or one, a few have long threads), exactly --posts in all.
    posts_per_case = [int(rng.expovariate(args.cases / args.posts)) for _ in range(args.cases)]
    while (excess := sum(posts_per_case) - args.posts) != 0:
        for _ in range(abs(excess)):
            index = rng.randrange(args.cases)
            if excess > 0 and posts_per_case[index] > 0:
                posts_per_case[index] -= 1
            elif excess < 0:
                posts_per_case[index] += 1
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_case (id bigint, number bigint, district_id bigint, contact_id bigint, "
            "case_type text, team text, priority smallint, module_id bigint, subject text, description text, "
            "status text, assigned_to_id bigint, created_at timestamptz, updated_at timestamptz, "
            "status_changed_at timestamptz, closed_at timestamptz, first_response_due_at timestamptz, "
            "first_response_at timestamptz)"
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_post (id bigint, case_id bigint, author_id bigint, text text, "
            "is_internal boolean, created_at timestamptz)"
        )
    case_rows: list[tuple[Any, ...]] = []
    post_rows: list[tuple[Any, ...]] = []
    case_id = 0
    post_id = 0
    for district_index, size in enumerate(sizes):
        district_id = district_index + 1
        owners = authorized[district_id]
        for _ in range(size):
            case_id += 1
            case_type = _weighted(rng, TYPE_WEIGHTS)
            spec = CASE_TYPES[case_type]
            priority = 1 if spec.outage else rng.choices([2, 3, 4], weights=[20, 55, 25])[0]
            status = _weighted(rng, STATUS_WEIGHTS)
            created = NOW - timedelta(days=rng.uniform(0, SPAN_DAYS))
            updated = min(NOW, created + timedelta(hours=rng.expovariate(1 / 120)))
            subject = _fill(rng, rng.choice(SUBJECTS))
            description = " ".join(_fill(rng, rng.choice(SENTENCES)) for _ in range(rng.randint(2, 5)))
            contact = rng.choice(owners)
            answered = status != Status.NEW
            case_rows.append(
                (
                    case_id,
                    100000 + case_id,
                    district_id,
                    contact,
                    case_type.value,
                    spec.team.value,
                    priority,
                    rng.choice(modules) if spec.uses_module else None,
                    subject,
                    description,
                    status.value,
                    advisor_id if answered else None,
                    created,
                    updated,
                    updated,
                    updated if status == Status.CLOSED else None,
                    created + timedelta(days=1),
                    created + timedelta(hours=2) if answered else None,
                )
            )
            count = posts_per_case[case_id - 1]
            span = max((updated - created).total_seconds(), 60)
            for _ in range(count):
                post_id += 1
                internal = rng.random() < 0.15
                text = rng.choice(INTERNAL) if internal else rng.choice(REPLIES)
                author = advisor_id if internal or rng.random() < 0.6 else contact
                post_rows.append(
                    (
                        post_id,
                        case_id,
                        author,
                        text,
                        internal,
                        created + timedelta(seconds=rng.uniform(0, span)),
                    )
                )
        if len(case_rows) >= 20_000 or district_index == len(sizes) - 1:
            copy_rows("bench_case", ["id", "number", "district_id", "contact_id", "case_type", "team", "priority", "module_id", "subject", "description", "status", "assigned_to_id", "created_at", "updated_at", "status_changed_at", "closed_at", "first_response_due_at", "first_response_at"], case_rows)  # fmt: skip
            copy_rows(
                "bench_post", ["id", "case_id", "author_id", "text", "is_internal", "created_at"], post_rows
            )
            case_rows, post_rows = [], []
    timer.done(f"generate and COPY {case_id:,} cases and {post_id:,} posts to staging")

    case_columns = ["id", "number", "district_id", "contact_id", "submitted_by_id", "case_type", "category", "team", "priority", "module_id", "subject", "description", "details", "status", "assigned_to_id", "first_response_due_at", "first_response_at", "first_response_met", "first_response_business_seconds", "resolution_business_seconds", "oncall_due_at", "awaiting_support_since", "created_at", "updated_at", "public_updated_at", "status_changed_at", "closed_at", "search_vector"]  # fmt: skip
    check_columns("cases_case", case_columns)
    post_columns = ["id", "case_id", "author_id", "body", "is_internal", "created_at"]
    check_columns("cases_post", post_columns)
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX ON bench_post (case_id) WHERE NOT is_internal")
        cursor.execute("ANALYZE bench_post")
        cursor.execute(
            f"INSERT INTO cases_case ({', '.join(case_columns)}) "  # noqa: S608 - constant column names
            "SELECT c.id, c.number, c.district_id, c.contact_id, c.contact_id, c.case_type, 'portal', c.team, "
            "c.priority, c.module_id, c.subject, c.description, '{}'::jsonb, c.status, c.assigned_to_id, "
            "c.first_response_due_at, c.first_response_at, "
            "CASE WHEN c.first_response_at IS NULL THEN NULL ELSE true END, "
            # The reports read stored business durations; the clock time stands in for them here.
            "extract(epoch FROM c.first_response_at - c.created_at)::int, "
            "extract(epoch FROM c.closed_at - c.created_at)::int, "
            # A Critical case's on-call hour; every tenth open case waits for support's reply since its last change.
            "CASE WHEN c.priority = 1 THEN c.created_at + interval '1 hour' END, "
            "CASE WHEN c.status <> 'closed' AND c.number % 10 = 0 THEN c.updated_at END, "
            "c.created_at, c.updated_at, c.updated_at, c.status_changed_at, c.closed_at, "
            # The same expression as cases.search.index_case: subject A, description B, public posts C.
            "setweight(to_tsvector('english'::regconfig, COALESCE(c.subject, '')), 'A') "
            "|| setweight(to_tsvector('english'::regconfig, COALESCE(c.description, '')), 'B') "
            "|| COALESCE((SELECT setweight(to_tsvector('english'::regconfig, "
            "   string_agg(p.text, E'\\n' ORDER BY p.created_at, p.id)), 'C') "
            "   FROM bench_post p WHERE p.case_id = c.id AND NOT p.is_internal), ''::tsvector) "
            "FROM bench_case c ORDER BY c.id"
        )
    timer.done("insert cases with their search vectors")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO cases_post ({', '.join(post_columns)}) "  # noqa: S608 - constant column names
            "SELECT id, case_id, author_id, '<p>' || text || '</p>', is_internal, created_at FROM bench_post ORDER BY id"
        )
        for table in ("cases_case", "cases_post"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
        cursor.execute("SELECT setval('cases_case_number_seq', (SELECT max(number) FROM cases_case))")
        cursor.execute("DROP TABLE bench_case")
        cursor.execute("DROP TABLE bench_post")
    timer.done("insert posts")

    visible = vacuum()
    timer.done(f"vacuum and analyze ({visible:.0%} of case pages all-visible)")

    # The SQL above must build the vector exactly like the product code does.
    sample = list(Case.objects.order_by("?").values_list("pk", flat=True)[:25])
    as_text = RawSQL("search_vector::text", [])
    before = dict(Case.objects.filter(pk__in=sample).annotate(v=as_text).values_list("pk", "v"))
    for pk in sample:
        search.index_case(Case(pk=pk))
    after = dict(Case.objects.filter(pk__in=sample).annotate(v=as_text).values_list("pk", "v"))
    mismatched = [pk for pk in sample if before[pk] != after[pk]]
    if mismatched:
        raise SystemExit(f"search vectors differ from cases.search.index_case for cases {mismatched}")
    timer.done("check 25 search vectors against index_case")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('cases_case')), pg_size_pretty(pg_total_relation_size('cases_post'))"
        )
        case_size, post_size = cursor.fetchone()
        cursor.execute("SELECT count(*) FILTER (WHERE is_internal), count(*) FROM cases_post")
        internal, total_posts = cursor.fetchone()
    print(f"total {timer.total:.1f} s; cases_case {case_size}, cases_post {post_size}; largest district "
          f"{sizes[0]:,} cases, median {sorted(sizes)[len(sizes) // 2]:,}, smallest {min(sizes):,}")  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "case_list_generate",
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "database": database,
                "arguments": vars(args),
                "rows": {
                    "cases": case_id,
                    "posts": total_posts,
                    "internal_posts": internal,
                    "districts": len(districts),
                    "users": len(users),
                    "contacts": len(users) - 1,
                    "memberships": len(memberships),
                },
                "district_cases": {
                    "largest": sizes[0],
                    "median": sorted(sizes)[len(sizes) // 2],
                    "smallest": min(sizes),
                },
                "table_sizes": {"cases_case": case_size, "cases_post": post_size},
                "seconds": {**timer.steps, "total": timer.total},
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
