"""Printable documents (letters, notices, contracts, bills) as PDF, with fpdf2.

Modules describe a document as a title, an addressee block, paragraphs and tables;
this module lays it out the same way everywhere. The built-in PDF fonts cover Latin-1
only, so text is folded to it rather than failing on a typographic quote.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from fpdf import FPDF
from fpdf.enums import XPos, YPos

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
    }
)


def _latin1(text: str) -> str:
    return text.translate(_FOLD).encode("latin-1", "replace").decode("latin-1")


@dataclass
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    # Relative column widths; equal when empty.
    widths: Sequence[float] = ()


@dataclass
class Document:
    title: str
    issued_on: date
    sender: str = "payerdesk"
    addressee: Sequence[str] = ()
    reference: str = ""
    # Each block is a paragraph (str), a heading ("# Heading") or a Table.
    blocks: list[str | Table] = field(default_factory=list)


def render_pdf(document: Document) -> bytes:
    pdf = FPDF(format="Letter")
    pdf.set_title(_latin1(document.title))
    pdf.set_author(_latin1(document.sender))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    _letterhead(pdf, document)
    for block in document.blocks:
        if isinstance(block, Table):
            _table(pdf, block)
        elif block.startswith("# "):
            pdf.ln(2)
            pdf.set_font("helvetica", "B", 12)
            pdf.multi_cell(0, 7, _latin1(block[2:]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            pdf.set_font("helvetica", "", 10.5)
            pdf.multi_cell(0, 5.5, _latin1(block), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2)
    return bytes(pdf.output())


def _letterhead(pdf: FPDF, document: Document) -> None:
    pdf.set_font("helvetica", "B", 9)
    pdf.cell(0, 5, _latin1(document.sender), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "", 9)
    pdf.cell(0, 5, document.issued_on.strftime("%B %d, %Y"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if document.reference:
        pdf.cell(
            0, 5, _latin1(f"Reference: {document.reference}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    pdf.ln(3)
    pdf.set_font("helvetica", "", 10.5)
    for line in document.addressee:
        pdf.cell(0, 5.5, _latin1(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 15)
    pdf.multi_cell(0, 8, _latin1(document.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _table(pdf: FPDF, table: Table) -> None:
    pdf.set_font("helvetica", "", 9)
    widths = tuple(table.widths) or (1,) * len(table.header)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=5.5) as grid:
        heading = grid.row()
        for title in table.header:
            heading.cell(_latin1(title))
        for values in table.rows:
            row = grid.row()
            for value in values:
                row.cell(_latin1(value))
    pdf.ln(3)
