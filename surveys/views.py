"""The pages the e-mailed survey link opens, without logging in (SPEC §9).

Mail scanners open every link of a message, so a GET only shows a page: rating and opting out each take a button
press (POST). The one-click unsubscribe of RFC 8058 is a POST from the mail program itself, without a cookie, so
it is exempt from the CSRF check (the unguessable token is its authorization)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from surveys import services
from surveys.forms import SurveyForm
from surveys.models import QUESTIONS, SurveyOptOut
from surveys.services import LinkProblem

PROBLEM_STATUS = {LinkProblem.UNKNOWN: 404, LinkProblem.EXPIRED: 410, LinkProblem.ANSWERED: 409}


def problem_page(request: HttpRequest, problem: LinkProblem) -> HttpResponse:
    return render(
        request, "surveys/problem.html", {"problem": problem.kind}, status=PROBLEM_STATUS[problem.kind]
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    try:
        survey = services.find_survey(token)
        services.check_answerable(survey, now)
    except LinkProblem as problem:
        return problem_page(request, problem)
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ratings = services.Ratings(
            **{name: data[name] for name, _ in QUESTIONS}, comment=data.get("comment") or ""
        )
        try:
            services.survey_respond(token=token, ratings=ratings, now=now)
        except LinkProblem as problem:  # answered in another tab a moment ago
            return problem_page(request, problem)
        return redirect("surveys:thanks")
    status = 400 if form.is_bound else 200
    context = {"form": form, "case": survey.case, "token": token, "expires_at": survey.expires_at}
    return render(request, "surveys/answer.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = services.find_survey(token)
    except LinkProblem as problem:
        return problem_page(request, problem)
    if request.method == "POST":
        services.survey_opt_out(token=token, via=SurveyOptOut.Via.PAGE)
        return redirect("surveys:opted_out")
    context = {"survey": survey, "already": services.opted_out(survey.contact)}
    return render(request, "surveys/opt_out.html", context)


@csrf_exempt
@require_POST
def one_click(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058: the mail program POSTs ``List-Unsubscribe=One-Click``; answer plainly, no redirect."""
    try:
        services.survey_opt_out(token=token, via=SurveyOptOut.Via.ONE_CLICK)
    except LinkProblem:
        return HttpResponse("Unknown survey link.\n", status=404, content_type="text/plain")
    return HttpResponse("You will receive no more satisfaction surveys.\n", content_type="text/plain")


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/thanks.html")


def opted_out(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/opted_out.html")
