"""Reading a CMS Part D basic formulary file and its drug name file.

Both are delimited text with a header line; columns are found by header name, so
their order does not matter and extra columns are ignored. Every error names the
file, the line and the column.
"""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

FORMULARY_COLUMNS = (
    "FORMULARY_ID",
    "FORMULARY_VERSION",
    "CONTRACT_YEAR",
    "RXCUI",
    "NDC",
    "TIER_LEVEL_VALUE",
    "QUANTITY_LIMIT_YN",
    "QUANTITY_LIMIT_AMOUNT",
    "QUANTITY_LIMIT_DAYS",
    "PRIOR_AUTHORIZATION_YN",
    "STEP_THERAPY_YN",
)
NAME_COLUMNS = ("DRUG_NAME", "NAME", "STR", "RXNORM_NAME")
MAX_TIER = 7  # CMS allows up to seven cost-sharing tiers


class FormularyError(Exception):
    def __init__(self, file: str, line: int, column: str | None, message: str) -> None:
        where = f"{file}, line {line}" + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")
        self.file, self.line, self.column = file, line, column
        self.message = f"{where}: {message}"


@dataclass(frozen=True)
class FormularyRow:
    line: int
    formulary_id: str
    formulary_version: str
    contract_year: str
    rxcui: str
    ndc: str
    tier: int
    quantity_limit: bool
    quantity_limit_amount: Decimal | None
    quantity_limit_days: int | None
    prior_authorization: bool
    step_therapy: bool


def _decode(name: str, content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FormularyError(name, 1, None, f"not UTF-8 text (bad byte at {error.start})") from None


def _table(name: str, content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = _decode(name, content)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise FormularyError(name, 1, None, "the file is empty")
    header = lines[0]
    delimiter = "|" if "|" in header else ("\t" if "\t" in header else ",")
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    rows = list(reader)
    columns = [cell.strip().upper() for cell in rows[0]]
    if len(rows) == 1:
        raise FormularyError(name, 2, None, "the file has a header but no rows")
    return columns, [(number, row) for number, row in enumerate(rows[1:], start=2)]


def _index(name: str, columns: list[str], wanted: tuple[str, ...]) -> dict[str, int]:
    missing = [column for column in wanted if column not in columns]
    if missing:
        raise FormularyError(name, 1, missing[0], f"missing column(s) {', '.join(missing)}")
    return {column: columns.index(column) for column in wanted}


def _yes_no(name: str, line: int, column: str, value: str) -> bool:
    if value.upper() in ("Y", "N"):
        return value.upper() == "Y"
    raise FormularyError(name, line, column, f"expected Y or N, found {value!r}")


def _cell(name: str, line: int, row: list[str], index: dict[str, int], column: str) -> str:
    position = index[column]
    if position >= len(row):
        raise FormularyError(name, line, column, "the line has too few fields")
    return row[position].strip()


def _optional_number(name: str, line: int, column: str, value: str) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise FormularyError(name, line, column, f"expected a number, found {value!r}") from None
    if not number.is_finite() or number < 0:
        raise FormularyError(name, line, column, f"expected a positive number, found {value!r}")
    return number


def _row(name: str, line: int, row: list[str], index: dict[str, int]) -> FormularyRow:
    def get(column: str) -> str:
        return _cell(name, line, row, index, column)

    for column in ("FORMULARY_ID", "RXCUI", "NDC"):
        if not get(column):
            raise FormularyError(name, line, column, "is empty")
    if not get("RXCUI").isdigit():
        raise FormularyError(name, line, "RXCUI", f"expected digits, found {get('RXCUI')!r}")
    ndc = get("NDC")
    if not (ndc.isdigit() and len(ndc) == 11):
        raise FormularyError(name, line, "NDC", f"expected 11 digits, found {ndc!r}")
    tier_text = get("TIER_LEVEL_VALUE")
    if not tier_text.isdigit() or not 1 <= int(tier_text) <= MAX_TIER:
        raise FormularyError(
            name,
            line,
            "TIER_LEVEL_VALUE",
            f"expected a tier from 1 to {MAX_TIER}, found {tier_text!r}",
        )
    days = _optional_number(name, line, "QUANTITY_LIMIT_DAYS", get("QUANTITY_LIMIT_DAYS"))
    if days is not None and days != days.to_integral_value():
        raise FormularyError(
            name, line, "QUANTITY_LIMIT_DAYS", f"expected whole days, found {days}"
        )
    return FormularyRow(
        line=line,
        formulary_id=get("FORMULARY_ID"),
        formulary_version=get("FORMULARY_VERSION"),
        contract_year=get("CONTRACT_YEAR"),
        rxcui=get("RXCUI"),
        ndc=ndc,
        tier=int(tier_text),
        quantity_limit=_yes_no(name, line, "QUANTITY_LIMIT_YN", get("QUANTITY_LIMIT_YN")),
        quantity_limit_amount=_optional_number(
            name, line, "QUANTITY_LIMIT_AMOUNT", get("QUANTITY_LIMIT_AMOUNT")
        ),
        quantity_limit_days=int(days) if days is not None else None,
        prior_authorization=_yes_no(
            name, line, "PRIOR_AUTHORIZATION_YN", get("PRIOR_AUTHORIZATION_YN")
        ),
        step_therapy=_yes_no(name, line, "STEP_THERAPY_YN", get("STEP_THERAPY_YN")),
    )


def formulary_read(name: str, content: bytes) -> list[FormularyRow]:
    columns, rows = _table(name, content)
    index = _index(name, columns, FORMULARY_COLUMNS)
    parsed = [_row(name, line, row, index) for line, row in rows]
    first = parsed[0]
    for row in parsed[1:]:
        if (row.formulary_id, row.formulary_version) != (
            first.formulary_id,
            first.formulary_version,
        ):
            raise FormularyError(
                name,
                row.line,
                "FORMULARY_ID",
                f"one file holds one formulary version; line 2 has {first.formulary_id} "
                f"v{first.formulary_version}, this line "
                f"{row.formulary_id} v{row.formulary_version}",
            )
    return parsed


def drug_names_read(name: str, content: bytes) -> dict[str, str]:
    """RXCUI -> drug name, from a file with an RXCUI column and a name column."""
    columns, rows = _table(name, content)
    name_column = next((column for column in NAME_COLUMNS if column in columns), None)
    if "RXCUI" not in columns or name_column is None:
        missing = "RXCUI" if "RXCUI" not in columns else " or ".join(NAME_COLUMNS)
        raise FormularyError(name, 1, missing, f"missing column {missing}")
    rxcui_at, name_at = columns.index("RXCUI"), columns.index(name_column)
    names: dict[str, str] = {}
    for line, row in rows:
        if max(rxcui_at, name_at) >= len(row):
            raise FormularyError(name, line, name_column, "the line has too few fields")
        rxcui, drug_name = row[rxcui_at].strip(), row[name_at].strip()
        if not rxcui.isdigit():
            raise FormularyError(name, line, "RXCUI", f"expected digits, found {rxcui!r}")
        if not drug_name:
            raise FormularyError(name, line, name_column, "is empty")
        names[rxcui] = drug_name[:200]
    return names
