"""URLs of the case page. Every action is POST-only; the attachment download lives under
``/attachments/`` (portal/urls.py), the prefix the rich-text sanitizer allows images from."""

from django.urls import path

from cases.views import detail

urlpatterns = [
    path("<int:number>/", detail.detail, name="detail"),
    path("<int:number>/feed/", detail.feed, name="feed"),
    path("<int:number>/post/", detail.post, name="post"),
    path("<int:number>/close/", detail.close, name="close"),
    path("<int:number>/reopen/", detail.reopen, name="reopen"),
    path("<int:number>/permission/grant/", detail.permission_grant, name="permission-grant"),
    path("<int:number>/permission/withdraw/", detail.permission_withdraw, name="permission-withdraw"),
    path("<int:number>/recipients/add/", detail.recipients_add, name="recipients-add"),
    path("<int:number>/recipients/remove/", detail.recipients_remove, name="recipients-remove"),
    path("<int:number>/follow-up/more-time/", detail.followup_more_time, name="followup-more-time"),
]
