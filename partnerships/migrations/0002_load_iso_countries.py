from django.db import migrations


def load_countries(apps, schema_editor):
    from partnerships.reference import iso_country_rows

    Country = apps.get_model("partnerships", "Country")
    existing = set(Country.objects.values_list("code", flat=True))
    Country.objects.bulk_create(
        [Country(**row) for row in iso_country_rows() if row["code"] not in existing]
    )


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0001_initial")]

    operations = [migrations.RunPython(load_countries, migrations.RunPython.noop)]
