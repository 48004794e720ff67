from django.apps import AppConfig


class OpenaiCountriesConfig(AppConfig):
    """Project-wide machinery: scoping, base classes, demo data. Holds no domain models."""

    name = "openai_countries"
    verbose_name = "Program"
