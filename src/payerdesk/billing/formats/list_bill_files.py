"""A list bill as rows, CSV and Excel: what the employer marks up and sends back.

The columns are the ones the returned list is read by: member id, amount, period.
"""

import csv
import io
from collections.abc import Iterator
from decimal import Decimal

from openpyxl import Workbook

from payerdesk.billing.models import ListBill

HEADER = ["Member ID", "Name", "Product", "Period start", "Period end", "Kind", "Amount",
          "Note"]  # fmt: skip
# Plain columns for the PDF table (it has less room): no period end.
PDF_HEADER = ["Member ID", "Name", "Product", "Period", "Kind", "Amount", "Note"]


def list_bill_lines(bill: ListBill) -> Iterator[list[str | Decimal]]:
    rows = (
        bill.lines.order_by("member__subscriber_id", "member__member_id", "period_start", "id")
        .values_list(
            "member__member_id",
            "member__last_name",
            "member__first_name",
            "coverage__plan__product__name",
            "period_start",
            "period_end",
            "kind",
            "amount",
            "note",
        )
        .iterator(chunk_size=5000)
    )
    for member_id, last, first, product, start, end, kind, amount, note in rows:
        yield [member_id, f"{last}, {first}", product, start.isoformat(), end.isoformat(),
               kind, Decimal(amount), note]  # fmt: skip


def list_bill_csv(bill: ListBill) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in list_bill_lines(bill):
        writer.writerow(row)
    writer.writerow(["Total", "", "", "", "", "", bill.total, ""])
    return out.getvalue().encode()


def list_bill_xlsx(bill: ListBill) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"Bill {bill.period_start:%Y-%m-%d}")
    sheet.append(HEADER)
    for row in list_bill_lines(bill):
        sheet.append(row)
    sheet.append(["Total", None, None, None, None, None, bill.total, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def list_bill_pdf_rows(bill: ListBill) -> list[list[str]]:
    rows: list[list[str]] = [PDF_HEADER]
    for member_id, name, product, start, _end, kind, amount, note in list_bill_lines(bill):
        rows.append([str(member_id), str(name), str(product), str(start), str(kind),
                     f"{amount:,.2f}", str(note)])  # fmt: skip
    return rows
