from django.apps import AppConfig


class OpenaiCountriesConfig(AppConfig):
    """Project-wide machinery: scoping, base classes, demo data. Holds no domain models."""

    name = "openai_countries"
    verbose_name = "Program"

    def ready(self) -> None:
        from openai_countries import users_admin  # noqa: F401 - registers the limited user admin
