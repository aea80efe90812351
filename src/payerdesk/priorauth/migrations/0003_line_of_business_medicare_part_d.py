"""One line-of-business vocabulary for the model, the API and FHIR: Medicare Part D is
`medicare_part_d` (as Medicare Advantage is `medicare_advantage`), no longer `part_d`."""

from typing import Any

from django.db import migrations, models

OLD, NEW = "part_d", "medicare_part_d"
CHOICES = [
    ("medicare_part_d", "Medicare Part D"),
    ("medicare_advantage", "Medicare Advantage"),
    ("medicaid", "Medicaid"),
    ("commercial", "Commercial"),
]


def _rename(apps: Any, old: str, new: str) -> None:
    for model in ("PriorAuthRequest", "ClockRule"):
        apps.get_model("priorauth", model).objects.filter(line_of_business=old).update(
            line_of_business=new
        )


def forward(apps: Any, schema_editor: Any) -> None:
    _rename(apps, OLD, NEW)


def backward(apps: Any, schema_editor: Any) -> None:
    _rename(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [("priorauth", "0002_clock_rules")]
    operations = [
        migrations.RunPython(forward, backward),
        migrations.AlterField(
            model_name="clockrule",
            name="line_of_business",
            field=models.CharField(choices=CHOICES, max_length=30),
        ),
        migrations.AlterField(
            model_name="priorauthrequest",
            name="line_of_business",
            field=models.CharField(choices=CHOICES, max_length=30),
        ),
    ]
