"""Account forms: Django's own, with wording and markup for this portal."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from contacts.districts import ALL
from contacts.models import District, Membership
from contacts.passwords import request_password_reset


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
    """Password reset that does the same work for every address (``contacts.passwords``): the lookup and the
    e-mail happen in a worker, so the answer's timing does not tell whether the address has an account."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def save(self, *args: Any, **kwargs: Any) -> None:
        request_password_reset(email=self.cleaned_data["email"])


class DistrictSwitchForm(forms.Form):
    """The header's district switcher of a contact of several districts: all of them, or one."""

    district = forms.ChoiceField(label="District", widget=forms.Select(attrs={"id": "district-switcher"}))

    def __init__(self, memberships: Iterable[Membership], current: District | None) -> None:
        super().__init__(label_suffix="", initial={"district": current.slug if current else ALL})
        self.fields["district"].choices = [  # type: ignore[attr-defined]
            (ALL, "All my districts"),
            *((m.district.slug, m.district.name) for m in memberships),
        ]
