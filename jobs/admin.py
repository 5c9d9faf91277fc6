"""The ops page of the scheduled jobs (``jobs/jobrun/ops/``) and the read-only list of their runs.

Advisors and administrators read both; only administrators (superusers) may "Run now". Runs are written by
``jobs.runner`` only: nobody adds, changes or deletes one here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from contacts.access import is_advisor
from jobs import ops
from jobs.models import JobRun
from jobs.registry import JOBS


def every(seconds: float | None) -> str:
    """How often beat runs a job, as ops say it: "every minute", "every 5 minutes", "every 2 hours"."""
    if seconds is None:
        return "not run by beat (by hand only)"
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return f"every {seconds:g} seconds"


def duration(run: JobRun) -> str:
    if run.finished_at is None:
        return "not finished"
    seconds = (run.finished_at - run.started_at).total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def lag(value: timedelta | None) -> str:
    """How late the oldest due row is: "none due", "on time", "4 min", "2 h 5 min", "3 days 4 h"."""
    if value is None:
        return "none due"
    seconds = max(int(value.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60 % 60, seconds // 3600 % 24, seconds // 86400
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


class JobFilter(admin.SimpleListFilter):
    """By job, from the registry: no DISTINCT over every run."""

    title = "job"
    parameter_name = "job"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return sorted(((name, job.title) for name, job in JOBS.items()), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[JobRun]) -> QuerySet[JobRun]:
        return queryset.filter(job=self.value()) if self.value() else queryset


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = [
        "job_title",
        "started_at",
        "took",
        "evaluated_at",
        "due",
        "done",
        "skipped",
        "failed",
        "stopped_early",
    ]
    list_filter = [JobFilter, "stopped_early"]
    list_display_links = ["started_at"]
    fields = readonly_fields = (
        "job_title",
        "started_at",
        "finished_at",
        "took",
        "evaluated_at",
        "due",
        "done",
        "skipped",
        "failed",
        "stopped_early",
        "failure_list",
    )
    show_full_result_count = False  # no COUNT(*) over every run on every page
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: JobRun | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: JobRun | None = None) -> bool:
        return False

    @admin.display(description="job", ordering="job")
    def job_title(self, run: JobRun) -> str:
        job = JOBS.get(run.job)
        return job.title if job else run.job

    @admin.display(description="took")
    def took(self, run: JobRun) -> str:
        return duration(run)

    @admin.display(description="failures")
    def failure_list(self, run: JobRun) -> str:
        if not run.failures:
            return "none"
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>Row {}: {}</li>", ((f["row"], f["error"]) for f in run.failures)),
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path("ops/", self.admin_site.admin_view(self.ops_view), name="jobs_ops"),
            path(
                "ops/<slug:name>/run/",
                self.admin_site.admin_view(require_POST(self.run_now_view)),
                name="jobs_run_now",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {"ops_url": reverse("admin:jobs_ops"), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def ops_view(self, request: HttpRequest) -> HttpResponse:
        # The jobs' figures are the advisors' and administrators': a staff account without the role gets a 403.
        if not is_advisor(request.user):
            raise PermissionDenied("Only a support advisor or an administrator can read the jobs' page.")
        now = timezone.now()
        statuses = ops.overview(now)
        beats = ops.beats()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Overview of the jobs",
            "beats": [{"name": b.name, "seen_ago": lag(now - b.seen)} for b in beats.running],
            "beats_error": beats.error,
            "jobs": [
                {
                    "status": status,
                    "every": every(status.interval),
                    "took": duration(status.last_run) if status.last_run else "",
                    "lag": lag(status.lag),
                    "run_url": reverse("admin:jobs_run_now", args=[status.job.name]),
                    "runs_url": reverse("admin:jobs_jobrun_changelist") + f"?job={status.job.name}",
                }
                for status in statuses
            ],
            "may_run": request.user.is_superuser,
            "runs_url": reverse("admin:jobs_jobrun_changelist"),
            "now": now,
        }
        return TemplateResponse(request, "admin/jobs/ops.html", context)

    def run_now_view(self, request: HttpRequest, name: str) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied("Only an administrator can run a job by hand.")
        job = JOBS.get(name)
        if job is None:
            raise Http404("No such job.")
        try:
            ops.queue_run(name)
        except ops.QueueDown:
            self.message_user(
                request,
                f"“{job.title}” was not run: the task queue (Redis) cannot be reached. Nothing was changed. "
                f"Beat runs it again once the queue is back, or run “manage.py run_job {name}” on a server.",
                messages.ERROR,
            )
        else:
            self.message_user(
                request,
                f"“{job.title}” is queued: a worker runs it within moments. Reload this page to see the run.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:jobs_ops"))
