"""Full-text search of cases (SPEC §4): one stored, GIN-indexed ``tsvector`` per case, built from its subject
(weight A), description (B) and public posts (C). Internal notes are never indexed, so a contact's search can
never match one.

The services that write subjects, descriptions and posts call ``index_case`` / ``index_post`` in the same
transaction, so the index is always current.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVector
from django.db.models import F, Value
from django.db.models.expressions import CombinedExpression

from cases.models import Case, Post
from portal.lib.sanitize import html_to_text

SEARCH_CONFIG = "english"


def _case_fields_vector() -> CombinedExpression:
    return SearchVector("subject", weight="A", config=SEARCH_CONFIG) + SearchVector(
        "description", weight="B", config=SEARCH_CONFIG
    )


def _text_vector(text: str) -> SearchVector:
    return SearchVector(Value(text), weight="C", config=SEARCH_CONFIG)


def index_case(case: Case) -> None:
    """Rebuild the case's search vector from its subject, description and every public post."""
    posts = (
        Post.objects.filter(case=case, is_internal=False)
        .order_by("created_at")
        .values_list("body", flat=True)
    )
    text = "\n".join(html_to_text(body) for body in posts)
    vector = _case_fields_vector() + _text_vector(text) if text else _case_fields_vector()
    Case.objects.filter(pk=case.pk).update(search_vector=vector)


def index_post(post: Post) -> None:
    """Add a new public post to its case's search vector (one UPDATE, whatever the number of posts)."""
    if post.is_internal:
        return
    Case.objects.filter(pk=post.case_id).update(
        search_vector=CombinedExpression(F("search_vector"), "||", _text_vector(html_to_text(post.body)))
    )
