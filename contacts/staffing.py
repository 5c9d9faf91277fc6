"""How a district's contacts compare with the recommended staffing (SPEC §1): two support contacts and one
technical contact. Shared by the admin and the district page so both say the same thing."""

from contacts.models import RECOMMENDED_SUPPORT_CONTACTS, RECOMMENDED_TECHNICAL_CONTACTS


def _contacts(n: int, kind: str) -> str:
    return f"{'no' if n == 0 else n} {kind} contact{'' if n == 1 else 's'}"


def staffing_advice(support_count: int, technical_count: int) -> list[str]:
    """Plain-language deviations from the recommendation; an empty list means the staffing is as recommended."""
    advice = []
    if support_count != RECOMMENDED_SUPPORT_CONTACTS:
        advice.append(f"{_contacts(support_count, 'support')} ({RECOMMENDED_SUPPORT_CONTACTS} recommended)")
    if technical_count != RECOMMENDED_TECHNICAL_CONTACTS:
        advice.append(
            f"{_contacts(technical_count, 'technical')} ({RECOMMENDED_TECHNICAL_CONTACTS} recommended)"
        )
    return advice
