"""Letters are made by the task worker after the decision commits: a letter row is due
until `issued_at` is set. Letters made before this change were made and sent at once."""

from typing import Any

from django.db import migrations, models
from django.db.models import F


def issued_already(apps: Any, schema_editor: Any) -> None:
    letter = apps.get_model("priorauth", "Letter")
    letter.objects.update(issued_at=F("created_at"))
    for row in letter.objects.filter(kind__in=["denial", "more_information"]).select_related(
        "request"
    ):
        row.text = (
            row.request.denial_reason if row.kind == "denial" else row.request.information_requested
        )
        row.save(update_fields=["text"])


class Migration(migrations.Migration):
    dependencies = [("priorauth", "0005_prescriber_changes")]

    operations = [
        migrations.AddField(
            model_name="letter",
            name="issued_at",
            field=models.DateTimeField(
                blank=True, help_text="When the PDF was made and the notice queued", null=True
            ),
        ),
        migrations.AddField(
            model_name="letter",
            name="text",
            field=models.TextField(
                blank=True,
                help_text="The decision's own words as they were when it was made: the denial "
                "reason or the information asked for (the request may change before the letter "
                "is made)",
            ),
        ),
        migrations.AlterField(
            model_name="letter",
            name="content",
            field=models.BinaryField(blank=True, default=b""),
        ),
        migrations.AlterField(
            model_name="letter",
            name="sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(issued_already, migrations.RunPython.noop),
    ]
