"""Decision-evaluation rate of the demo criteria, alone (no Django, no database).

Loads every demo criteria set, cleans one approving and one referring answer set per
drug, and runs ``Criteria.decide`` in a loop. Prints decisions per second of process CPU
time (one core; what the target means, and steady on a shared machine) and per second of
wall time, the median of five rounds each. Target: >= 10,000 decisions per second.
"""

import statistics
import time

from payerdesk.priorauth.criteria import Criteria
from payerdesk.priorauth.criteria_sets import demo_criteria_sets

TARGET_PER_SECOND = 10_000.0
ROUNDS = 5
PER_ROUND = 20_000

# One complete and one weak case per demo set (the same as the demo tests).
CASES: dict[str, list[dict[str, object]]] = {
    "glp1-t2dm": [
        {
            "diagnosis": "E11",
            "weight_loss_only": False,
            "a1c": "8.4",
            "metformin_tried": True,
            "metformin_days": 180,
        },
        {
            "diagnosis": "E66",
            "weight_loss_only": True,
            "a1c": "5.6",
            "metformin_tried": False,
            "metformin_contraindication": "none",
        },
    ],
    "adalimumab-ra": [
        {
            "diagnosis": "M05",
            "prescriber_rheumatologist": True,
            "methotrexate_tried": True,
            "methotrexate_months": 6,
            "tb_test": "negative",
            "tb_test_date": "2026-09-01",
        },
        {
            "diagnosis": "M06",
            "prescriber_rheumatologist": True,
            "methotrexate_tried": True,
            "methotrexate_months": 1,
            "tb_test": "not_done",
        },
    ],
    "evolocumab-pcsk9": [
        {
            "indication": "ascvd",
            "ldl": 96,
            "statin_intolerant": False,
            "max_statin_8_weeks": True,
            "ezetimibe_tried": True,
        },
        {
            "indication": "ascvd",
            "ldl": 64,
            "statin_intolerant": False,
            "max_statin_8_weeks": True,
            "ezetimibe_tried": False,
        },
    ],
    "lipitor-nonformulary": [
        {
            "generic_tried": True,
            "generic_days": 60,
            "adverse_reaction": True,
            "reaction_description": "Urticaria",
            "other_statin_tried": True,
        },
        {"generic_tried": False, "other_statin_tried": False},
    ],
    "sumatriptan-ql": [
        {
            "diagnosis": "G43",
            "requested_quantity": 18,
            "migraine_days": 8,
            "prophylaxis_tried": True,
            "prophylaxis_months": 3,
            "overuse_assessed": True,
        },
        {
            "diagnosis": "G43",
            "requested_quantity": 27,
            "migraine_days": 12,
            "prophylaxis_tried": False,
            "prophylaxis_contraindicated": True,
            "overuse_assessed": True,
        },
    ],
}


def workload() -> list[tuple[Criteria, dict[str, object]]]:
    loaded = {s.slug: Criteria.load(s.questionnaire, s.decision) for s in demo_criteria_sets()}
    return [(loaded[slug], loaded[slug].clean(case)) for slug in CASES for case in CASES[slug]]


def evaluation_rates(rounds: int = ROUNDS, per_round: int = PER_ROUND) -> tuple[float, float]:
    """Median decisions per CPU-second and per wall-second."""
    cases = workload()
    for criteria, cleaned in cases:  # warm up
        criteria.decide(cleaned)
    cpu_rates, wall_rates = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        for n in range(per_round):
            criteria, cleaned = cases[n % len(cases)]
            criteria.decide(cleaned)
        cpu_rates.append(per_round / (time.process_time() - cpu))
        wall_rates.append(per_round / (time.perf_counter() - wall))
    return statistics.median(cpu_rates), statistics.median(wall_rates)


def main() -> None:
    cpu, wall = evaluation_rates()
    verdict = "meets" if cpu >= TARGET_PER_SECOND else "MISSES"
    print("Prior authorization decision evaluation (zen-engine, 5 demo criteria sets)")
    print(
        f"  {cpu:,.0f} decisions per CPU-second (one core), {verdict} >= {TARGET_PER_SECOND:,.0f}"
    )
    print(f"  {wall:,.0f} decisions per wall-second (machine shared; median of {ROUNDS} rounds)")


if __name__ == "__main__":
    main()
