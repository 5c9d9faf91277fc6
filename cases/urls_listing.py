"""URLs of the case list (issue 6)."""

urlpatterns: list = []
