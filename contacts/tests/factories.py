import factory
from django.contrib.auth.models import Group

from contacts.models import District, Membership, Role, User
from contacts.roles import ADVISORS_GROUP

PASSWORD = "correct-horse-battery-1"


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"District {n} Public Schools")
    slug = factory.Sequence(lambda n: f"district-{n}")
    state = "MN"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@district.example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    district = factory.SubFactory(DistrictFactory)
    role = Role.SUPPORT


class AdvisorFactory(UserFactory):
    """A support employee holding the advisor role (a member of the Advisors group that migrate keeps)."""

    email = factory.Sequence(lambda n: f"advisor{n}@support.example.com")
    is_staff = True

    @factory.post_generation
    def _advisor_group(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.groups.add(Group.objects.get(name=ADVISORS_GROUP))
