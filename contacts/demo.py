"""Demo districts and people (every persona of DESIGN §4). Idempotent: existing rows are updated, passwords of
existing accounts are left alone."""

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission

from contacts.models import District, Membership, Role, User

DEMO_PASSWORD = "portal-demo-2026"  # noqa: S105 - published demo login, printed by the command


@dataclass(frozen=True)
class Person:
    email: str
    first: str
    last: str
    title: str
    phone: str = ""
    staff: bool = False
    superuser: bool = False
    active: bool = True
    persona: str = ""


DISTRICTS = [
    ("Maple Grove Public Schools", "maple-grove", "MN"),
    ("Cedar Falls Community Schools", "cedar-falls", "IA"),
    ("Riverbend Unified School District", "riverbend", "IL"),
    ("Prairie View Independent School District", "prairie-view", "TX"),
]

PEOPLE = [
    Person(
        "dana.whitfield@maplegrove.example.org",
        "Dana",
        "Whitfield",
        "District SIS Coordinator",
        "(763) 555-0101",
        persona="Support contact, district A",
    ),
    Person("marcus.lee@maplegrove.example.org", "Marcus", "Lee", "Registrar", "(763) 555-0102"),
    Person(
        "priya.raman@maplegrove.example.org",
        "Priya",
        "Raman",
        "Network Administrator",
        "(763) 555-0103",
        persona="Technical contact, district A",
    ),
    Person(
        "tom.okafor@maplegrove.example.org",
        "Tom",
        "Okafor",
        "Implementation Lead",
        "(763) 555-0104",
        persona="Implementation contact, district A",
    ),
    Person(
        "ellen.brooks@maplegrove.example.org",
        "Ellen",
        "Brooks",
        "Assistant Principal",
        persona="Read-only contact, district A",
    ),
    Person(
        "chris.doyle@maplegrove.example.org",
        "Chris",
        "Doyle",
        "Former Registrar",
        active=False,
        persona="Deactivated account (cannot log in)",
    ),
    Person(
        "jordan.ruiz@cedarfalls.example.org",
        "Jordan",
        "Ruiz",
        "Technology Director",
        "(319) 555-0140",
        persona="Support contact, district B",
    ),
    Person(
        "sam.patel@riverbend.example.org",
        "Sam",
        "Patel",
        "Data Services Manager",
        "(217) 555-0177",
        persona="Contact of two districts (district switcher)",
    ),
    Person("lena.hoang@riverbend.example.org", "Lena", "Hoang", "SIS Specialist"),
    Person("omar.haddad@riverbend.example.org", "Omar", "Haddad", "Systems Engineer"),
    Person("grace.miller@prairieview.example.org", "Grace", "Miller", "PEIMS Coordinator"),
    Person("luis.garza@prairieview.example.org", "Luis", "Garza", "Campus Data Clerk"),
    Person("nina.brandt@prairieview.example.org", "Nina", "Brandt", "Student Services Director"),
    Person("ray.cooper@prairieview.example.org", "Ray", "Cooper", "Infrastructure Manager"),
    Person(
        "avery.morgan@support.example.com",
        "Avery",
        "Morgan",
        "Support Advisor",
        staff=True,
        persona="Advisor (admin workbench)",
    ),
    Person(
        "admin@support.example.com",
        "Portal",
        "Administrator",
        "Administrator",
        staff=True,
        superuser=True,
        persona="Administrator (all admin rights)",
    ),
]

MEMBERSHIPS = [
    ("dana.whitfield@maplegrove.example.org", "maple-grove", Role.SUPPORT, True),
    ("marcus.lee@maplegrove.example.org", "maple-grove", Role.SUPPORT, True),
    ("priya.raman@maplegrove.example.org", "maple-grove", Role.TECHNICAL, True),
    ("tom.okafor@maplegrove.example.org", "maple-grove", Role.IMPLEMENTATION, True),
    ("ellen.brooks@maplegrove.example.org", "maple-grove", Role.READ_ONLY, True),
    ("chris.doyle@maplegrove.example.org", "maple-grove", Role.SUPPORT, False),
    ("jordan.ruiz@cedarfalls.example.org", "cedar-falls", Role.SUPPORT, True),
    ("sam.patel@riverbend.example.org", "riverbend", Role.SUPPORT, True),
    ("sam.patel@riverbend.example.org", "cedar-falls", Role.IMPLEMENTATION, True),
    ("lena.hoang@riverbend.example.org", "riverbend", Role.SUPPORT, True),
    ("omar.haddad@riverbend.example.org", "riverbend", Role.TECHNICAL, True),
    ("grace.miller@prairieview.example.org", "prairie-view", Role.SUPPORT, True),
    ("luis.garza@prairieview.example.org", "prairie-view", Role.SUPPORT, True),
    ("nina.brandt@prairieview.example.org", "prairie-view", Role.SUPPORT, True),
    ("ray.cooper@prairieview.example.org", "prairie-view", Role.TECHNICAL, True),
]

ADVISOR_APPS = ["contacts", "cases", "outbox", "notifications", "surveys"]


def seed_people() -> dict[str, User]:
    """Create or update the demo districts, people and memberships; return the people by email."""
    districts = {}
    for name, slug, state in DISTRICTS:
        districts[slug], _ = District.objects.update_or_create(
            slug=slug, defaults={"name": name, "state": state}
        )
    advisors, _ = Group.objects.get_or_create(name="Advisors")
    advisors.permissions.set(Permission.objects.filter(content_type__app_label__in=ADVISOR_APPS))
    users = {}
    for p in PEOPLE:
        user = User.objects.filter(email=p.email).first()
        if user is None:
            user = User(email=p.email)
            user.set_password(DEMO_PASSWORD)
        user.first_name, user.last_name, user.title, user.phone = p.first, p.last, p.title, p.phone
        user.is_staff, user.is_superuser, user.is_active = p.staff, p.superuser, p.active
        user.save()
        if p.staff and not p.superuser:
            user.groups.add(advisors)
        users[p.email] = user
    for email, slug, role, active in MEMBERSHIPS:
        Membership.objects.update_or_create(
            user=users[email], district=districts[slug], defaults={"role": role, "is_active": active}
        )
    return users
