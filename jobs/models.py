"""What each scheduled job did, run by run: the figures ops read in the admin."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class JobRun(models.Model):
    """One run of one job (from beat, ``manage.py run_job`` or the admin's "run now"); dry runs are not kept."""

    job = models.CharField(max_length=50)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True, help_text="Empty while running, or if it died.")
    evaluated_at = models.DateTimeField(help_text="The moment the run evaluated what is due (its --now).")
    due = models.PositiveIntegerField(default=0, help_text="Rows due when the run started (at most a batch).")
    done = models.PositiveIntegerField(default=0, help_text="Rows the run acted on.")
    skipped = models.PositiveIntegerField(
        default=0, help_text="Rows another process held or had already done, or no longer due."
    )
    failed = models.PositiveIntegerField(default=0)
    failures = models.JSONField(
        default=list, blank=True, help_text="The first failures: the row and the error, for ops."
    )
    stopped_early = models.BooleanField(
        default=False, help_text="Stopped after failures in a row: a service it needs is probably down."
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            # The ops page: each job's latest runs.
            models.Index(fields=["job", "-started_at"], name="jobrun_job_latest_idx"),
            # The list of runs, newest first, unfiltered.
            models.Index(fields=["-started_at"], name="jobrun_latest_idx"),
            # The ops page: each job's recent runs that failed (few), without reading the others.
            models.Index(fields=["job", "-started_at"], condition=Q(failed__gt=0), name="jobrun_failed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.job} at {self.started_at:%Y-%m-%d %H:%M:%S}"
