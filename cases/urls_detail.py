"""URLs of the case page (issue 7)."""

urlpatterns: list = []
