"""Keep PHI out of application logs.

Every handler runs this filter. It renders the message, masks what has the shape of
PHI (SSNs, dates, member and subscriber ids, phone numbers, email addresses) and drops
query strings from logged URLs (search terms and member ids travel there). It is a
net under the rule that code never logs PHI in the first place.
"""

import logging
import re

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), "[SSN]"),
    (re.compile(r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b(?!T|\s\d{2}:)"), "[DATE]"),
    (re.compile(r"\b\d{1,2}/\d{1,2}/(?:19|20)\d{2}\b"), "[DATE]"),
    (re.compile(r"\b(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\b"), "[DATE]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[EMAIL]"),
    (re.compile(r"\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b"), "[PHONE]"),
    # Member, subscriber and policy ids: a run of 9+ digits, or letters then 6+ digits.
    (re.compile(r"\b[A-Z]{1,4}\d{6,}\b"), "[ID]"),
    (re.compile(r"\b\d{9,}\b"), "[ID]"),
    (re.compile(r"(/[^\s?\"']*)\?[^\s\"']*"), r"\1?[QUERY]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class PhiRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception text may quote row values; keep the type and the trace, mask the text.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
