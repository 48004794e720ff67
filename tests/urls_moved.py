"""The project's URLs under /moved/: a swapped URLconf for tests/test_links.py."""

from django.urls import include, path

urlpatterns = [path("moved/", include("openai_countries.urls"))]
