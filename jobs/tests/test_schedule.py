"""Beat's schedule: fixed intervals, scaled down only for the fault tests' fast beat."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.celery import JOB_INTERVALS, app, interval_scale


def test_the_schedule_runs_at_the_stated_intervals_unless_scaled(monkeypatch):
    assert interval_scale() == 1.0  # the tests' own schedule is the real one
    assert app.conf.beat_schedule["job-email-outbox"]["schedule"] == JOB_INTERVALS["email-outbox"] == 60.0
    assert app.conf.beat_schedule["job-email-outbox"]["options"] == {"expires": 54.0}
    monkeypatch.setenv("JOB_INTERVAL_SCALE", "0.01")
    assert interval_scale() == 0.01


@pytest.mark.parametrize("value", ["0", "2", "fast", "-1"])
def test_a_scale_that_would_slow_or_stop_beat_is_refused(monkeypatch, value):
    monkeypatch.setenv("JOB_INTERVAL_SCALE", value)
    with pytest.raises(ImproperlyConfigured, match="JOB_INTERVAL_SCALE"):
        interval_scale()
