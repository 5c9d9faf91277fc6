"""Advisors' view of the e-mail outbox: what was sent to whom, what is waiting, what failed; "Retry now".

Read-only: rows are written by ``outbox.services`` only. Message bodies are not shown: they can hold a
live password-reset link, which would let whoever reads it log in as the recipient.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from outbox.models import OutboundEmail
from outbox.services import retry_now

FIELDS = (
    "to_address",
    "recipient",
    "subject",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
    "sent_at",
    "key",
    "message_id",
)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["to_address", "subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["to_address", "subject"]
    actions = ["retry_selected"]
    fields = FIELDS
    readonly_fields = FIELDS
    show_full_result_count = False  # no COUNT(*) over the whole table on every page

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboundEmail | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboundEmail | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("outbox.change_outboundemail")

    @admin.display(description="Message-ID")
    def message_id(self, obj: OutboundEmail) -> str:
        return obj.message_id

    @admin.action(description="Retry now", permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        count = retry_now(emails=queryset)
        if count:
            self.message_user(
                request,
                f"{count} e-mail(s) will be sent within a minute. Sent e-mails are never sent again.",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request, "Nothing to retry: the selected e-mails were already sent.", messages.WARNING
            )
