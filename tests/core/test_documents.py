from datetime import date
from io import BytesIO

from pypdf import PdfReader

from payerdesk.core.documents import Document, Table, render_pdf


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_a_document_renders_its_title_paragraphs_and_table():
    pdf = render_pdf(
        Document(
            title="Coverage determination — approved",
            issued_on=date(2026, 11, 23),
            addressee=["Dr. Paul Reyes", "12 Main St"],
            reference="PA-000042",
            blocks=[
                "# Your request",
                "We approved the request “as submitted”.",
                Table(header=["Drug", "Through"], rows=[["Semaglutide", "2027-11-22"]]),
            ],
        )
    )
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    for expected in (
        "Coverage determination - approved",
        "PA-000042",
        "Dr. Paul Reyes",
        'We approved the request "as submitted".',
        "Semaglutide",
        "November 23, 2026",
    ):
        assert expected in text


def test_a_long_table_flows_onto_more_pages():
    rows = [[f"Member {n}", f"{n}.00"] for n in range(200)]
    pdf = render_pdf(
        Document(
            title="List bill",
            issued_on=date(2026, 11, 1),
            blocks=[Table(header=["Member", "Premium"], rows=rows)],
        )
    )
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) > 2
    assert "Member 199" in _text(pdf)


def test_a_notice_with_its_letter_is_emailed_after_commit(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    from payerdesk.core.notifications import notice_email_on_commit

    with django_capture_on_commit_callbacks(execute=True):
        notice_email_on_commit(
            ["office@example.org", ""],
            "Determination",
            "See the letter.",
            ("letter.pdf", "application/pdf", b"%PDF-1.4 test"),
        )
    [message] = mailoutbox
    assert message.to == ["office@example.org"]
    assert message.attachments[0][0] == "letter.pdf"
    assert message.attachments[0][1] == b"%PDF-1.4 test"
