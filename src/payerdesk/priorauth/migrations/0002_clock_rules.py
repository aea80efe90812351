"""Seed the determination clocks with what the regulations say; admins may change them."""

from typing import Any

from django.db import migrations

# Copied, not imported: a migration must not change when rules.py does.
CLOCKS = [
    ("part_d", "standard", 72, 12, "42 CFR 423.568/423.570"),
    ("part_d", "expedited", 24, 4, "42 CFR 423.570"),
    ("medicare_advantage", "standard", 168, 24, "CMS-0057-F"),
    ("medicare_advantage", "expedited", 72, 12, "CMS-0057-F"),
    ("medicaid", "standard", 168, 24, "CMS-0057-F"),
    ("medicaid", "expedited", 72, 12, "CMS-0057-F"),
    ("commercial", "standard", 72, 12, "Plan policy (configurable)"),
    ("commercial", "expedited", 24, 4, "Plan policy (configurable)"),
]


def seed(apps: Any, schema_editor: Any) -> None:
    rule = apps.get_model("priorauth", "ClockRule")
    for lob, urgency, hours, before, source in CLOCKS:
        rule.objects.get_or_create(
            line_of_business=lob,
            urgency=urgency,
            defaults={"hours": hours, "escalate_before_hours": before, "source": source},
        )


class Migration(migrations.Migration):
    dependencies = [("priorauth", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
