"""Full-text search of cases (SPEC §4): one stored, GIN-indexed ``tsvector`` per case, built from its subject
(weight A), description (B) and public posts (C). Internal notes are never indexed, so a contact's search can
never match one.

The services that write subjects, descriptions and posts call ``index_case`` / ``index_post`` in the same
transaction, so the index is always current. The case list queries it with ``matching`` and orders the
matches with ``rank`` (``ts_rank_cd``, cover density: words close together rank higher, a subject match
outranks a description match, which outranks a post match).

A search that is a case number (``100234`` or ``#100234``) also finds that case, through the number's unique
index, and puts it first (``case_number``).
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Q, QuerySet, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Cast, Coalesce

from cases.models import Case, Post
from portal.lib.sanitize import html_to_text
from portal.validators import ascii_digits

SEARCH_CONFIG = "english"
# ts_rank_cd weights for the labels D, C, B, A: a word in the subject (A) counts ten times one in a post (C).
RANK_WEIGHTS = [0.05, 0.1, 0.4, 1.0]
# Divide the rank by 1 + log(document length): a case with a long thread does not outrank a case whose subject
# says exactly what was searched just because it mentions the words more often.
RANK_NORMALIZATION = 1
MAX_QUERY_LENGTH = 200
# The rank of the case whose number was searched: above any text match.
NUMBER_MATCH_RANK = float("inf")
# Case numbers are bigints: a longer run of digits is no case number (and would overflow the comparison).
_MAX_NUMBER_DIGITS = 18


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
    # COALESCE: a case row written without ``index_case`` (a bare test row, an old import) has no vector yet,
    # and ``NULL || vector`` would stay NULL.
    current = Coalesce(F("search_vector"), Cast(Value(""), output_field=SearchVectorField()))
    Case.objects.filter(pk=post.case_id).update(
        search_vector=CombinedExpression(current, "||", _text_vector(html_to_text(post.body)))
    )


# A hyphen joining two words ("grade-book"). PostgreSQL indexes a hyphenated word as the whole and its parts, but
# in a query it asks for all three, so "grade-book" would never find a case that says "grade book". Its parts
# alone find both spellings; a leading "-word" (exclude) is left alone.
_JOINING_HYPHENS = re.compile(r"(?<=\w)[-\u2010\u2011]+(?=\w)")


def search_query(text: str) -> SearchQuery:
    """What a person typed, as a ``websearch_to_tsquery``: every word must match (in any order, stemmed);
    "quoted words" match as a phrase, ``or`` between words matches either, ``-word`` excludes; hyphenated words
    match their parts, however the case spells them. It never raises a syntax error, whatever is typed."""
    text = _JOINING_HYPHENS.sub(" ", text[:MAX_QUERY_LENGTH])
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def case_number(text: str) -> int | None:
    """The case number ``text`` is, written as people write one (``100234`` or ``#100234``), or None."""
    digits = text.strip().removeprefix("#").strip()
    if not digits or len(digits) > _MAX_NUMBER_DIGITS or not ascii_digits(digits):
        return None
    return int(digits)


def match(text: str) -> Q:
    """Whether a case matches ``text``: its subject, description or public posts (GIN index), or its number
    (unique index)."""
    words = Q(search_vector=search_query(text))
    number = case_number(text)
    return words if number is None else words | Q(number=number)


def matching(queryset: QuerySet[Case], text: str) -> QuerySet[Case]:
    """The cases of ``queryset`` that match ``text`` (``match``)."""
    return queryset.filter(match(text))


def rank(text: str) -> SearchRank | models.Case:
    """How well a case matches ``text``, for ordering: higher is better; the case whose number was searched
    comes first."""
    words = SearchRank(
        F("search_vector"),
        search_query(text),
        weights=RANK_WEIGHTS,
        normalization=Value(RANK_NORMALIZATION),
        cover_density=True,
    )
    number = case_number(text)
    if number is None:
        return words
    return models.Case(
        models.When(number=number, then=Value(NUMBER_MATCH_RANK)),
        default=words,
        output_field=models.FloatField(),
    )
