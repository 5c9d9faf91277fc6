from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("new/", views.choose_type, name="choose-type"),
    path("new/<slug:slug>/", views.submit, name="submit"),
    path("<int:number>/submitted/", views.submitted, name="submitted"),
]
