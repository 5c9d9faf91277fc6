"""Account forms: Django's own, with wording and markup for this portal."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import transaction
from django.utils import timezone

from outbox.services import enqueue_email


class LoginForm(AuthenticationForm):
    """Email + password. The error never says whether the address exists or the account is deactivated."""

    error_messages = {
        "invalid_login": (
            "That email address and password do not match an active account. Passwords are case-sensitive. "
            "If you have forgotten your password, reset it below; if your account was deactivated, ask your "
            "district's support contact to request access again."
        ),
        "inactive": (
            "That email address and password do not match an active account. Passwords are case-sensitive."
        ),
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].label = "Email address"
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "email", "inputmode": "email", "spellcheck": "false", "autocapitalize": "none"}
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class ResetForm(PasswordResetForm):
    """Password reset through the e-mail outbox (``templates/emails/password_reset/``); Django's view still
    decides who gets a link (active accounts with a usable password only) and always shows the same page."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context["user"]
        # One e-mail per request: asking twice sends two links (both work until one is used). The key holds
        # no secret: advisors see keys in the admin, and the token would be a live login link.
        key = f"password-reset-user-{user.pk}-{timezone.now():%Y%m%dT%H%M%S.%f}"
        with transaction.atomic():
            enqueue_email(
                recipient=user,
                template="password_reset",
                context={"uid": context["uid"], "token": context["token"]},
                key=key,
            )
