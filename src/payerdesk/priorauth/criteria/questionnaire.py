"""A FHIR R4 Questionnaire read into plain questions, and answers checked against them.

Supported: item types boolean, choice (answerOption valueCoding or valueString), integer,
decimal, date, string; ``required``; ``enableWhen`` (exists, =, !=, >, <, >=, <=) with
``enableBehavior``. ``group`` items are flattened into their questions; a group may not
carry ``enableWhen`` itself (put it on its questions) and a question may not have child
items. An ``enableWhen`` must refer to a question that comes *earlier* in the flattened
order: that rules out cycles and lets one pass in order decide what is enabled.
No Django imports: fast and testable alone.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, cast

from fhir.resources.R4B.questionnaire import Questionnaire, QuestionnaireItem
from pydantic import ValidationError

QuestionType = Literal["boolean", "choice", "integer", "decimal", "date", "string"]
QUESTION_TYPES: tuple[str, ...] = ("boolean", "choice", "integer", "decimal", "date", "string")
Operator = Literal["exists", "=", "!=", ">", "<", ">=", "<="]
OPERATORS = ("exists", "=", "!=", ">", "<", ">=", "<=")
ORDERED_OPERATORS = (">", "<", ">=", "<=")
# Which enableWhen answer[x] fits which question type.
ANSWER_FIELDS: dict[str, tuple[str, ...]] = {
    "boolean": ("answerBoolean",),
    "choice": ("answerCoding", "answerString"),
    "integer": ("answerInteger",),
    "decimal": ("answerDecimal", "answerInteger"),
    "date": ("answerDate",),
    "string": ("answerString",),
}
ALL_ANSWER_FIELDS = (
    "answerBoolean",
    "answerCoding",
    "answerInteger",
    "answerDecimal",
    "answerDate",
    "answerString",
    "answerDateTime",
    "answerTime",
    "answerQuantity",
    "answerReference",
)
_INTEGER = re.compile(r"[+-]?\d+")


class CriteriaError(ValueError):
    """A criteria upload is invalid; ``where`` is a JSON path into the upload."""

    def __init__(self, message: str, where: str) -> None:
        super().__init__(f"{where}: {message}")
        self.message = message
        self.where = where


class AnswerError(ValueError):
    """Answers are invalid: every problem at once, as (linkId, plain message)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{link_id}: {message}" for link_id, message in errors))
        self.errors = errors


@dataclass(frozen=True)
class EnableWhen:
    question: str
    operator: Operator
    answer: object  # typed like the referenced question's clean value; bool for "exists"

    def holds(self, answers: Mapping[str, object]) -> bool:
        """FHIR semantics: with no answer only ``exists false`` and ``!=`` are true."""
        value = answers.get(self.question)
        if self.operator == "exists":
            return (value is not None) is self.answer
        if value is None:
            return self.operator == "!="
        if self.operator == "=":
            return bool(value == self.answer)
        if self.operator == "!=":
            return bool(value != self.answer)
        left, right = cast(Any, value), cast(Any, self.answer)
        if self.operator == ">":
            return bool(left > right)
        if self.operator == "<":
            return bool(left < right)
        if self.operator == ">=":
            return bool(left >= right)
        return bool(left <= right)


@dataclass(frozen=True)
class Question:
    link_id: str
    text: str
    type: QuestionType
    required: bool
    options: tuple[tuple[str, str], ...]  # (code, display) for choice
    enable_when: tuple[EnableWhen, ...]
    enable_behavior: Literal["all", "any"]

    def is_enabled(self, answers: Mapping[str, object]) -> bool:
        if not self.enable_when:
            return True
        results = (condition.holds(answers) for condition in self.enable_when)
        return all(results) if self.enable_behavior == "all" else any(results)

    def convert(self, raw: object) -> object:
        """The typed value of one answer; ValueError says what was expected."""
        return _CONVERTERS[self.type](self, raw)


# --- answers: JSON-ish values to typed values -------------------------------------------


def _to_boolean(question: Question, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise ValueError(f"expected true or false, got {raw!r}")


def _to_choice(question: Question, raw: object) -> str:
    codes = [code for code, _ in question.options]
    if isinstance(raw, str) and raw in codes:
        return raw
    listed = ", ".join(f"{code} ({display})" for code, display in question.options)
    raise ValueError(f"{raw!r} is not one of the options: {listed}")


def _to_integer(question: Question, raw: object) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()):
        return int(raw.strip())
    raise ValueError(f"expected a whole number, got {raw!r}")


def _to_decimal(question: Question, raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise ValueError(f"expected a number, got {raw!r}")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(f"expected a number, got {raw!r}") from None
    if not value.is_finite():
        raise ValueError(f"expected a finite number, got {raw!r}")
    return value


def _to_date(question: Question, raw: object) -> date:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date as YYYY-MM-DD, got {raw!r}")


def _to_string(question: Question, raw: object) -> str:
    if isinstance(raw, str):
        return raw.strip()
    raise ValueError(f"expected text, got {raw!r}")


_CONVERTERS: dict[str, Any] = {
    "boolean": _to_boolean,
    "choice": _to_choice,
    "integer": _to_integer,
    "decimal": _to_decimal,
    "date": _to_date,
    "string": _to_string,
}


def is_blank(raw: object) -> bool:
    """No answer: absent, null, or an empty form field."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def clean_answers(
    questions: tuple[Question, ...], answers: Mapping[str, object]
) -> dict[str, object]:
    """Typed answers by linkId, or AnswerError listing every problem."""
    known = {question.link_id for question in questions}
    errors = [(key, "no such question") for key in answers if key not in known]
    cleaned: dict[str, object] = {}
    for question in questions:
        raw = answers.get(question.link_id)
        enabled = question.is_enabled(cleaned)
        if is_blank(raw):
            if enabled and question.required:
                errors.append((question.link_id, "an answer is required"))
            continue
        if not enabled:
            errors.append((question.link_id, "this question does not apply to these answers"))
            continue
        try:
            cleaned[question.link_id] = question.convert(raw)
        except ValueError as error:
            errors.append((question.link_id, str(error)))
    if errors:
        raise AnswerError(errors)
    return cleaned


def enabled_questions(
    questions: tuple[Question, ...], answers: Mapping[str, object]
) -> list[Question]:
    """Questions to show for answers typed so far; a bad answer counts as none yet."""
    typed: dict[str, object] = {}
    shown: list[Question] = []
    for question in questions:
        if not question.is_enabled(typed):
            continue
        shown.append(question)
        raw = answers.get(question.link_id)
        if not is_blank(raw):
            with contextlib.suppress(ValueError):
                typed[question.link_id] = question.convert(raw)
    return shown


# --- loading the Questionnaire ----------------------------------------------------------


def load_json(source: str | bytes | Mapping[str, Any], where: str) -> dict[str, Any]:
    """A JSON object from text or an already-parsed mapping."""
    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CriteriaError(f"not UTF-8 text (byte {error.start})", where) from None
    try:
        data = json.loads(source)
    except json.JSONDecodeError as error:
        raise CriteriaError(
            f"malformed JSON at line {error.lineno} column {error.colno}: {error.msg}", where
        ) from None
    if not isinstance(data, dict):
        raise CriteriaError("expected a JSON object", where)
    return data


def pydantic_path(root: str, loc: tuple[int | str, ...]) -> str:
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def questions_load(source: str | bytes | Mapping[str, Any]) -> tuple[Question, ...]:
    data = load_json(source, "questionnaire")
    if data.get("resourceType") != "Questionnaire":
        raise CriteriaError(
            f"expected resourceType Questionnaire, got {data.get('resourceType')!r}",
            "questionnaire.resourceType",
        )
    try:
        resource = Questionnaire.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise CriteriaError(first["msg"], pydantic_path("questionnaire", first["loc"])) from None
    questions: list[Question] = []
    _read_items(resource.item or [], "questionnaire", questions)
    if not questions:
        raise CriteriaError("the questionnaire has no questions", "questionnaire.item")
    return tuple(questions)


def _read_items(items: list[QuestionnaireItem], parent: str, into: list[Question]) -> None:
    for index, item in enumerate(items):
        where = f"{parent}.item[{index}]"
        if item.type == "group":
            if item.enableWhen:
                raise CriteriaError(
                    f"group {item.linkId!r} has enableWhen; put it on its questions instead",
                    f"{where}.enableWhen",
                )
            _read_items(item.item or [], where, into)
            continue
        into.append(_read_question(item, where, into))


def _read_question(item: QuestionnaireItem, where: str, earlier: list[Question]) -> Question:
    if item.type not in QUESTION_TYPES:
        raise CriteriaError(
            f"item {item.linkId!r} has type {item.type!r}; supported: group, "
            + ", ".join(QUESTION_TYPES),
            f"{where}.type",
        )
    if item.item:
        raise CriteriaError(
            f"question {item.linkId!r} has nested items; use enableWhen follow-ups instead",
            f"{where}.item",
        )
    if any(question.link_id == item.linkId for question in earlier):
        raise CriteriaError(f"linkId {item.linkId!r} is used twice", f"{where}.linkId")
    qtype = cast(QuestionType, item.type)
    options = _read_options(item, where) if qtype == "choice" else ()
    if qtype != "choice" and item.answerOption:
        raise CriteriaError("answerOption is only supported on choice items", where)
    by_id = {question.link_id: question for question in earlier}
    conditions = tuple(
        _read_enable_when(condition, f"{where}.enableWhen[{i}]", by_id)
        for i, condition in enumerate(item.enableWhen or [])
    )
    return Question(
        link_id=str(item.linkId),
        text=str(item.text or item.linkId),
        type=qtype,
        required=bool(item.required),
        options=options,
        enable_when=conditions,
        enable_behavior=cast(Literal["all", "any"], item.enableBehavior or "all"),
    )


def _read_options(item: QuestionnaireItem, where: str) -> tuple[tuple[str, str], ...]:
    options: list[tuple[str, str]] = []
    for index, option in enumerate(item.answerOption or []):
        if option.valueCoding is not None and option.valueCoding.code:
            code = str(option.valueCoding.code)
            options.append((code, str(option.valueCoding.display or code)))
        elif option.valueString is not None:
            options.append((str(option.valueString), str(option.valueString)))
        else:
            raise CriteriaError(
                "answerOption needs valueCoding (with a code) or valueString",
                f"{where}.answerOption[{index}]",
            )
    if not options:
        raise CriteriaError(f"choice item {item.linkId!r} has no answerOption", where)
    codes = [code for code, _ in options]
    if len(set(codes)) != len(codes):
        raise CriteriaError("answerOption codes repeat", f"{where}.answerOption")
    return tuple(options)


def _read_enable_when(condition: Any, where: str, earlier: Mapping[str, Question]) -> EnableWhen:
    target = earlier.get(condition.question)
    if target is None:
        raise CriteriaError(
            f"refers to {condition.question!r}, which is not an earlier question",
            f"{where}.question",
        )
    given = [name for name in ALL_ANSWER_FIELDS if getattr(condition, name, None) is not None]
    if condition.operator not in OPERATORS:
        raise CriteriaError(
            f"operator {condition.operator!r} is not one of {', '.join(OPERATORS)}",
            f"{where}.operator",
        )
    operator = cast(Operator, condition.operator)
    if operator == "exists":
        if given != ["answerBoolean"]:
            raise CriteriaError("operator exists needs answerBoolean", where)
        return EnableWhen(target.link_id, operator, bool(condition.answerBoolean))
    if operator in ORDERED_OPERATORS and target.type in ("boolean", "choice", "string"):
        raise CriteriaError(
            f"operator {operator} cannot compare a {target.type} answer", f"{where}.operator"
        )
    if len(given) != 1 or given[0] not in ANSWER_FIELDS[target.type]:
        expected = " or ".join(ANSWER_FIELDS[target.type])
        raise CriteriaError(f"question {target.link_id!r} is {target.type}: use {expected}", where)
    raw = getattr(condition, given[0])
    if given[0] == "answerCoding":
        raw = raw.code
    try:
        value = target.convert(raw)
    except ValueError as error:
        raise CriteriaError(str(error), f"{where}.{given[0]}") from None
    return EnableWhen(target.link_id, operator, value)
