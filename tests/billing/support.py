"""Bills for the remittance tests, posted the way a list bill posts them (one receivable
line per member and period, premium income on the other side), without the list bill
generator, so these tests do not depend on its rules."""

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from payerdesk.billing.models import Account, ListBill, ListBillLine
from payerdesk.billing.services.ledger import Line, journal_post
from payerdesk.groups.models import Coverage, EmployerGroup, Member


def bill(group: EmployerGroup, period: date, amounts: dict[Member, str]) -> ListBill:
    end = (period.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    total = sum((Decimal(a) for a in amounts.values()), Decimal(0))
    listbill = ListBill.objects.create(
        group=group, period_start=period, period_end=end, bill_date=period - timedelta(days=15),
        due_date=period, total=total,
    )  # fmt: skip
    lines = []
    for member, amount in amounts.items():
        coverage = Coverage.objects.filter(member=member).first()
        assert coverage is not None, "cover the member first"
        ListBillLine.objects.create(
            bill=listbill, member=member, coverage=coverage, period_start=period,
            period_end=end, kind="premium", amount=Decimal(amount),
        )  # fmt: skip
        lines.append(
            Line(Account.PREMIUM_RECEIVABLE, debit=Decimal(amount), member_id=member.pk,
                 period_start=period)
        )  # fmt: skip
    lines.append(Line(Account.PREMIUM_INCOME, credit=total))
    journal_post(group=group, lines=lines, memo="bill", source="list_bill", source_id="t")
    return listbill


def csv_bytes(
    rows: Sequence[tuple[str, ...]], header: str = "member id,amount,period,note"
) -> bytes:
    return ("\n".join([header, *(",".join(row) for row in rows)]) + "\n").encode()


def x820(lines: list[tuple[str, str, str]], control: str = "000000042") -> bytes:
    """An 820 paying (member id, amount, period start YYYYMMDD) lines, total as stated."""
    body = []
    for n, (member, amount, start) in enumerate(lines, start=1):
        end = start[:6] + "28"
        body += [
            f"ENT*{n}*2J*EI*999999999",
            f"NM1*IL*1*LAST{n}*FIRST****N*{member}",
            f"RMR*IK*INV-{n}**{amount}",
            f"DTM*582****RD8*{start}-{end}",
        ]
    total = sum((Decimal(a) for _, a, _ in lines), Decimal(0))
    segments = [
        "ST*820*0001*005010X218",
        f"BPR*C*{total:.2f}*C*ACH************20260105",
        "TRN*1*TRACE42",
        "REF*38*g2001",
        *body,
    ]
    text = "~".join(segments) + f"~SE*{len(segments) + 1}*0001~"
    return (
        "ISA*00*          *00*          *ZZ*S              *ZZ*R              *260105*0800*^*"
        f"00501*{control}*0*P*:~GS*RA*S*R*20260105*0800*1*X*005010X218~"
        + text
        + f"GE*1*1~IEA*1*{control}~"
    ).encode()
