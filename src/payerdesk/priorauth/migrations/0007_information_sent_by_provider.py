"""Providers send the information a pend asks for themselves: a receipt says whether staff
recorded it or the provider sent it through the portal (those before were staff's)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("priorauth", "0006_letters_issued_by_worker"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="priorauthrequest",
            options={
                "ordering": ["-received_at", "-id"],
                "permissions": [
                    ("decide_priorauthrequest", "Can approve, deny or pend a request (pharmacist)"),
                    (
                        "send_information",
                        "Can send the information asked for on a pended request of an NPI they act for (provider)",
                    ),
                ],
            },
        ),
        migrations.AddField(
            model_name="informationreceipt",
            name="source",
            field=models.CharField(
                choices=[
                    ("staff", "Recorded by staff"),
                    ("provider_portal", "Sent through the provider portal"),
                ],
                default="staff",
                help_text="Staff recorded what the office sent, or the provider sent it themselves (page or API)",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="informationreceipt",
            name="received_by",
            field=models.ForeignKey(
                help_text="The staff member who recorded it, or the provider user who sent it",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
