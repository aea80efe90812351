"""Build small 834 files for tests: the envelope and counts are computed, never typed."""

ISA = (
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*PAYERDESK      *261123*1200*^*00501"
    "*{control}*0*P*:~"
)


def x834(members: list[list[str]], *, control: str = "000000101", header: str = "") -> bytes:
    """An 834 with one set; `members` are member loops, each a list of segments."""
    body = ["BGN*00*REF1*20260601*1200****2", "REF*38*G1001", *([header] if header else []),
            "N1*P5*ACME*FI*123456789", "N1*IN*PAYERDESK*FI*987654321"]  # fmt: skip
    for loop in members:
        body.extend(loop)
    segments = ["ST*834*0001*005010X220A1", *"~".join(body).split("~")]
    segments.append(f"SE*{len(segments) + 1}*0001")
    text = "~".join(
        [
            ISA.format(control=control)[:-1],
            "GS*BE*SENDER*PAYERDESK*20260601*1200*7*X*005010X220A1",
            *segments,
            "GE*1*7",
            f"IEA*1*{control}",
        ]
    )
    return (text + "~").encode()


def loop(
    code: str, member_id: str, *coverages: str, subscriber: str = "", birth: str = "19860315",
    extra: tuple[str, ...] = (), name: str = "RIVERA*JORDAN", relationship: str = "19",
) -> list[str]:  # fmt: skip
    """One member loop; a dependent (INS02 `relationship`) when `subscriber` names
    another id."""
    sid = subscriber or member_id
    ins = f"INS*{'N*' + relationship if subscriber else 'Y*18'}*{code}*XN*A***FT"
    return [ins, f"REF*0F*{sid}", "REF*1L*G1001", *extra, f"NM1*IL*1*{name}****34*{member_id}",
            f"DMG*D8*{birth}*F", *coverages]  # fmt: skip


def hd(code: str, line: str, level: str = "EMP", *, begin: str = "", end: str = "",
       amount: str = "", description: str = "") -> str:  # fmt: skip
    """One HD loop (2300); `description` is HD04 (plan coverage description)."""
    parts = [f"HD*{code}**{line}*{description}*{level}"]
    if begin:
        parts.append(f"DTP*348*D8*{begin}")
    if end:
        parts.append(f"DTP*349*D8*{end}")
    if amount:
        parts.append(f"AMT*FK*{amount}")
    return "~".join(parts)
