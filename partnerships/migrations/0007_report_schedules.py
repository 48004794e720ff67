from django.db import migrations

SCHEDULES = [
    # (name, task, crontab fields)
    (
        "Monthly country and portfolio reports",
        "partnerships.tasks.schedule_monthly_reports",
        {"minute": "0", "hour": "3", "day_of_month": "1", "month_of_year": "*", "day_of_week": "*"},
    ),
    (
        "Re-enqueue report runs left queued or running",
        "partnerships.tasks.sweep_report_runs",
        {"minute": "*/5", "hour": "*", "day_of_month": "*", "month_of_year": "*", "day_of_week": "*"},
    ),
]


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, fields in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(timezone="UTC", **fields)
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _task, _fields in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partnerships", "0006_report_run_scope_by_country"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
