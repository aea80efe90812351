"""Server-rendered SVG charts: no JavaScript library, readable by screen readers."""

from dataclasses import dataclass

from payerdesk.core.selectors import QueueHealthRow


@dataclass(frozen=True)
class HealthBar:
    label: str
    overdue: int
    due_today: int
    later: int
    y: int
    # Segment widths and offsets on a 0-100 scale of the busiest queue.
    overdue_w: float
    due_today_x: float
    due_today_w: float
    later_x: float
    later_w: float


@dataclass(frozen=True)
class HealthChart:
    bars: list[HealthBar]
    height: int
    peak: int


BAR_PITCH = 28


def queue_health_chart(rows: list[QueueHealthRow]) -> HealthChart:
    """One stacked bar per queue: overdue, due today, and the rest of its open work."""
    by_queue: dict[str, list[int]] = {}
    for row in rows:
        totals = by_queue.setdefault(row.queue, [0, 0, 0])
        totals[0] += row.overdue
        totals[1] += row.due_today
        totals[2] += row.open - row.overdue - row.due_today
    peak = max((sum(values) for values in by_queue.values()), default=0) or 1
    bars = []
    for index, (label, (overdue, today, later)) in enumerate(sorted(by_queue.items())):
        scale = 100 / peak
        bars.append(
            HealthBar(
                label=label,
                overdue=overdue,
                due_today=today,
                later=later,
                y=index * BAR_PITCH,
                overdue_w=overdue * scale,
                due_today_x=overdue * scale,
                due_today_w=today * scale,
                later_x=(overdue + today) * scale,
                later_w=later * scale,
            )
        )
    return HealthChart(bars=bars, height=max(len(bars), 1) * BAR_PITCH, peak=peak)
