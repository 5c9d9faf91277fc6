from django.urls import path

from cases.views import submit

app_name = "cases"

urlpatterns = [
    path("new/", submit.choose_type, name="choose-type"),
    path("new/<slug:slug>/", submit.submit, name="submit"),
    path("<int:number>/submitted/", submit.submitted, name="submitted"),
]
