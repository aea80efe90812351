"""Prior authorization turnaround metrics, as CMS-0057-F asks plans to publish.

For the requests *received* in a date range (the plan's time zone, both ends included),
separately for standard and expedited requests and in total: how many were received,
the share approved automatically (by the criteria), approved after pharmacist review,
denied, and still open; and the mean and median time to decision, over the ones decided.
Shares are of the requests received. Counting and averaging happen in the database; the
median reads the one or two middle rows of the ordered durations.

Time to decision runs from the start of the regulatory clock (`clock_start`): receipt,
except for a non-formulary exception, whose clock starts when the prescriber's supporting
statement arrives. An exception still waiting for its statement has no clock start and
cannot be decided (it counts as open).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from payerdesk.priorauth.models import Decision, PriorAuthRequest, Urgency

MAX_RANGE_DAYS = 366 * 3
_DURATION = ExpressionWrapper(F("decided_at") - F("clock_start"), output_field=DurationField())


@dataclass(frozen=True)
class TurnaroundRow:
    label: str
    received: int
    approved_automatically: int
    approved_after_review: int
    denied: int
    decided: int
    mean_hours: float | None
    median_hours: float | None

    @property
    def open(self) -> int:
        return self.received - self.decided

    def share(self, count: int) -> float | None:
        """Percent of the requests received, or None when none were."""
        return round(100 * count / self.received, 1) if self.received else None

    @property
    def approved_automatically_pct(self) -> float | None:
        return self.share(self.approved_automatically)

    @property
    def approved_after_review_pct(self) -> float | None:
        return self.share(self.approved_after_review)

    @property
    def denied_pct(self) -> float | None:
        return self.share(self.denied)

    @property
    def open_pct(self) -> float | None:
        return self.share(self.open)


@dataclass(frozen=True)
class TurnaroundReport:
    start: date
    end: date
    rows: list[TurnaroundRow]  # standard, expedited, then all requests


def _window(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    begin = datetime.combine(start, time.min, tzinfo=zone)
    return begin, datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)


def _hours(duration: timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / 3600, 1)


def _median(decided: QuerySet[PriorAuthRequest], count: int) -> timedelta | None:
    if count == 0:
        return None
    middle = list(
        decided.annotate(duration=_DURATION)
        .order_by("duration", "pk")
        .values_list("duration", flat=True)[(count - 1) // 2 : count // 2 + 1]
    )
    return sum(middle, timedelta()) / len(middle)


def _row(label: str, requests: QuerySet[PriorAuthRequest]) -> TurnaroundRow:
    approved = Q(decision=Decision.APPROVED)
    counts = requests.aggregate(
        received=Count("pk"),
        approved_automatically=Count("pk", filter=approved & Q(automatic=True)),
        approved_after_review=Count("pk", filter=approved & Q(automatic=False)),
        denied=Count("pk", filter=Q(decision=Decision.DENIED)),
        decided=Count("pk", filter=Q(decided_at__isnull=False)),
        mean=Avg(_DURATION, filter=Q(decided_at__isnull=False)),
    )
    decided = requests.filter(decided_at__isnull=False)
    return TurnaroundRow(
        label=label,
        received=counts["received"],
        approved_automatically=counts["approved_automatically"],
        approved_after_review=counts["approved_after_review"],
        denied=counts["denied"],
        decided=counts["decided"],
        mean_hours=_hours(counts["mean"]),
        median_hours=_hours(_median(decided, counts["decided"])),
    )


def turnaround_report(*, start: date, end: date) -> TurnaroundReport:
    """The metrics for requests received from ``start`` to ``end`` (both included)."""
    if end < start:
        raise ValueError("the end date is before the start date")
    begin, stop = _window(start, end)
    received = PriorAuthRequest.objects.filter(received_at__gte=begin, received_at__lt=stop)
    rows = [
        _row(str(urgency.label), received.filter(urgency=urgency))
        for urgency in (Urgency.STANDARD, Urgency.EXPEDITED)
    ]
    rows.append(_row("All requests", received))
    return TurnaroundReport(start=start, end=end, rows=rows)


CSV_HEADER = [
    "period_start",
    "period_end",
    "requests",
    "received",
    "approved_automatically",
    "approved_automatically_pct",
    "approved_after_review",
    "approved_after_review_pct",
    "denied",
    "denied_pct",
    "open",
    "decided",
    "mean_hours_to_decision",
    "median_hours_to_decision",
]


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def turnaround_csv(report: TurnaroundReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in report.rows:
        writer.writerow(
            [
                report.start.isoformat(),
                report.end.isoformat(),
                row.label,
                row.received,
                row.approved_automatically,
                _cell(row.approved_automatically_pct),
                row.approved_after_review,
                _cell(row.approved_after_review_pct),
                row.denied,
                _cell(row.denied_pct),
                row.open,
                row.decided,
                _cell(row.mean_hours),
                _cell(row.median_hours),
            ]
        )
    return out.getvalue()


# --- the chart: one stacked bar per urgency, shares of the requests received -------------


@dataclass(frozen=True)
class Segment:
    css: str
    name: str
    count: int
    x: float  # 0-100
    width: float


@dataclass(frozen=True)
class OutcomeBar:
    label: str
    received: int
    y: int
    segments: list[Segment]


@dataclass(frozen=True)
class OutcomeChart:
    bars: list[OutcomeBar]
    height: int


BAR_PITCH = 28


def outcome_chart(report: TurnaroundReport) -> OutcomeChart:
    bars = []
    for index, row in enumerate(report.rows):
        parts = [
            ("auto", "approved automatically", row.approved_automatically),
            ("review", "approved after review", row.approved_after_review),
            ("denied", "denied", row.denied),
            ("open", "open", row.open),
        ]
        segments, x = [], 0.0
        for css, name, count in parts:
            width = 100 * count / row.received if row.received else 0.0
            segments.append(Segment(css, name, count, x, width))
            x += width
        bars.append(OutcomeBar(row.label, row.received, index * BAR_PITCH, segments))
    return OutcomeChart(bars=bars, height=len(bars) * BAR_PITCH)
