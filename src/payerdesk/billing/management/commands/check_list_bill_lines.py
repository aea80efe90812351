from typing import Any

from django.core.management.base import BaseCommand, CommandError

from payerdesk.billing.selectors.listbills import list_bill_line_orphans

SHOWN = 20


class Command(BaseCommand):
    help = (
        "Report list bill lines whose member or coverage no longer exists (the lines "
        "have no database constraint). Exits non-zero when it finds any; for cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        orphans = list_bill_line_orphans()
        count = orphans.count()
        if not count:
            self.stdout.write("Every list bill line names an existing member and coverage.")
            return
        for line in orphans.select_related("bill")[:SHOWN]:
            self.stdout.write(
                f"line {line.pk} of bill {line.bill_id} ({line.period_start:%Y-%m}): "
                f"member {line.member_id}, coverage {line.coverage_id}"
            )
        raise CommandError(f"{count} list bill line(s) name a member or coverage that is gone.")
