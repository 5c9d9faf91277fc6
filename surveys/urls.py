from django.urls import path

from surveys import views

app_name = "surveys"

# No login: the link's token is the authorization (one survey, unguessable). A GET never changes anything.
urlpatterns = [
    path("done/thanks/", views.thanks, name="thanks"),
    path("done/opted-out/", views.opted_out, name="opted_out"),
    path("<slug:token>/", views.answer, name="answer"),
    path("<slug:token>/opt-out/", views.opt_out, name="opt_out"),
    path("<slug:token>/unsubscribe/", views.one_click, name="one_click"),
]
