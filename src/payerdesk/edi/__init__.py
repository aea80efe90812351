"""X12 reading as a plain Python library: no Django imports, nothing of the project's.

`read_834` streams the members of a 005010X220A1 benefit enrollment file, `read_820`
(and `load_820`) the remittance lines of a 005010X218 payment order; every
error is an `X12Error` naming the segment number, the segment and the element.
"""

from payerdesk.edi.errors import X12Error
from payerdesk.edi.reader import Segment, read_segments
from payerdesk.edi.x820 import (
    Adjustment,
    Remittance,
    RemittanceHeader,
    RemittanceLine,
    load_820,
    read_820,
)
from payerdesk.edi.x834 import (
    Coverage,
    Enrollment,
    EnrollmentHeader,
    Member,
    read_834,
    summarize_834,
)

__all__ = [
    "Adjustment",
    "Coverage",
    "Enrollment",
    "EnrollmentHeader",
    "Member",
    "Remittance",
    "RemittanceHeader",
    "RemittanceLine",
    "Segment",
    "X12Error",
    "load_820",
    "read_820",
    "read_834",
    "read_segments",
    "summarize_834",
]
