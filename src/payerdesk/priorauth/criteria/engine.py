"""Criteria for one drug: a FHIR Questionnaire (the questions) and a JDM graph (the rule).

``Criteria.load(questionnaire, decision)`` checks both and compiles the graph once;
``enabled()`` lists the questions to show for answers so far, ``clean()`` types and checks
answers (``AnswerError`` with every problem), ``decide()`` runs the graph with zen-engine.

The graph's input is every question's linkId with the cleaned answer, or ``null`` when
the question was not answered (not enabled or optional): booleans, strings (choice
codes), numbers (integers; decimals as JSON numbers), dates as ISO ``YYYY-MM-DD``
strings. Expressions must allow for ``null`` (``a1c != null and a1c >= 7``).

Its result must be exactly one of::

    {"outcome": "approve", "approvalDays": <int 1..99999>}
    {"outcome": "refer", "unmet": ["<plain-language unmet criterion>", ...]}  # non-empty

Other keys (a ``passThrough`` node copies the answers) are ignored. What the graph may
contain is in ``jdm``'s docstring; what the questionnaire may contain in
``questionnaire``'s. Neither imports Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import zen

if TYPE_CHECKING:
    from zen import DecisionEvaluateOptions

from payerdesk.priorauth.criteria.jdm import engine_message, graph_check
from payerdesk.priorauth.criteria.questionnaire import (
    AnswerError,
    CriteriaError,
    EnableWhen,
    Question,
    clean_answers,
    enabled_questions,
    load_json,
    questions_load,
)

__all__ = [
    "AnswerError",
    "Criteria",
    "CriteriaError",
    "Decision",
    "DecisionError",
    "EnableWhen",
    "Question",
]

_KEY = "criteria"
_FAST: DecisionEvaluateOptions = {"trace": False}  # tracing costs several times the evaluation


class DecisionError(RuntimeError):
    """The engine failed or returned a result outside the contract (a bug in a criteria set
    that got past the load checks): the request must go to a person, never be decided."""


@dataclass(frozen=True)
class Decision:
    outcome: Literal["approve", "refer"]
    approval_days: int | None  # set when approve
    unmet: tuple[str, ...]  # plain-language unmet criteria, when refer


class Criteria:
    questions: tuple[Question, ...]

    def __init__(self, questions: tuple[Question, ...], graph: dict[str, Any]) -> None:
        self.questions = questions
        self._nulls: dict[str, object] = {question.link_id: None for question in questions}
        # Only decimals and dates need converting for the engine: skip the rest per call.
        self._converted = tuple(q.link_id for q in questions if q.type in ("decimal", "date"))
        # Evaluate by key on a static-loader engine, which keeps the compiled graph: not
        # through ZenDecision.evaluate, far slower (bench/priorauth.py, evaluation rate).
        self._engine = zen.ZenEngine({"loader": {"type": "static", "content": {_KEY: graph}}})

    @classmethod
    def load(
        cls,
        questionnaire: str | bytes | Mapping[str, Any],
        decision: str | bytes | Mapping[str, Any],
    ) -> Criteria:
        questions = questions_load(questionnaire)
        graph = load_json(decision, "decision")
        graph_check(graph, frozenset(question.link_id for question in questions))
        criteria = cls(questions, graph)
        try:
            criteria._engine.get_decision(_KEY).validate()
        except RuntimeError as error:
            raise CriteriaError(engine_message(error), "decision") from None
        return criteria

    def question(self, link_id: str) -> Question:
        return next(question for question in self.questions if question.link_id == link_id)

    def enabled(self, answers: Mapping[str, object]) -> list[Question]:
        """The questions to show for the answers given so far (bad answers count as none)."""
        return enabled_questions(self.questions, answers)

    def clean(self, answers: Mapping[str, object]) -> dict[str, object]:
        """Typed answers by linkId; AnswerError lists every problem at once."""
        return clean_answers(self.questions, answers)

    def decide(self, cleaned: Mapping[str, object]) -> Decision:
        """Run the graph on answers from ``clean()``."""
        context = {**self._nulls, **cleaned}
        for link_id in self._converted:
            value = context[link_id]
            if value is not None:
                context[link_id] = _json_value(value)
        try:
            response = self._engine.evaluate(_KEY, context, _FAST)
        except RuntimeError as error:
            raise DecisionError(engine_message(error)) from None
        return decision_from_result(response.get("result"))


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def decision_from_result(result: object) -> Decision:
    """A Decision from the graph's result, or DecisionError when it breaks the contract."""
    if not isinstance(result, dict):
        raise DecisionError(f"the decision returned {result!r}, not an object")
    outcome = result.get("outcome")
    if outcome == "approve":
        days = result.get("approvalDays")
        if isinstance(days, float) and days.is_integer():
            days = int(days)
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise DecisionError(f"approve needs approvalDays >= 1, got {days!r}")
        return Decision(outcome="approve", approval_days=days, unmet=())
    if outcome == "refer":
        unmet = result.get("unmet")
        if (
            not isinstance(unmet, list)
            or not unmet
            or not all(isinstance(item, str) and item for item in unmet)
        ):
            raise DecisionError(f"refer needs unmet as a non-empty list of text, got {unmet!r}")
        return Decision(outcome="refer", approval_days=None, unmet=tuple(unmet))
    raise DecisionError(f"outcome must be approve or refer, got {outcome!r}")
