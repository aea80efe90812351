"""Which files a work item accepts, judged by their content, not only their name."""

from pathlib import PurePath

import filetype
from django.conf import settings

from payerdesk.core.errors import ErrorCode, InvalidInput

# Extension -> the content type the bytes must show. Faxes arrive as PDF or TIFF,
# censuses as Excel or CSV, enrollment and remittance files as X12 text.
BINARY_TYPES = {
    ".pdf": "application/pdf",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TEXT_TYPES = {
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".edi": "application/edi-x12",
    ".x12": "application/edi-x12",
    ".834": "application/edi-x12",
    ".820": "application/edi-x12",
}
ACCEPTED = "PDF, TIFF, PNG, JPEG, Excel (.xlsx), CSV, text and X12 files"


def _size_label(limit: int) -> str:
    megabytes, rest = divmod(limit, 1024 * 1024)
    return f"{megabytes} MB" if megabytes and not rest else f"{limit:,}-byte"


def body_too_large_message() -> str:
    """What a client is told when its request body is over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    limit = _size_label(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return f"The request body is larger than the {limit} limit."


def attachment_check(name: str, content: bytes, *, field: str = "file") -> str:
    """The content type of a file a work item accepts: named, not empty, within the size
    limit and of an accepted type. InvalidInput naming `field`, the field the client sent
    the file in, when it is not."""
    limit: int = settings.PAYERDESK_ATTACHMENT_MAX_BYTES
    if not PurePath(name).name:
        raise InvalidInput(ErrorCode.INVALID, "The file has no name.", field=field)
    if len(content) > limit:
        raise InvalidInput(
            ErrorCode.ATTACHMENT_TOO_LARGE,
            f"{name} is larger than the {_size_label(limit)} limit.",
            field=field,
        )
    if not content:
        raise InvalidInput(ErrorCode.INVALID, f"{name} is empty.", field=field)
    return sniff_attachment(name, content, field=field)


def sniff_attachment(name: str, content: bytes, *, field: str = "file") -> str:
    """The content type of an accepted file; InvalidInput naming `field` when the file
    is not one."""
    suffix = PurePath(name).suffix.lower()
    if suffix in BINARY_TYPES:
        expected = BINARY_TYPES[suffix]
        guess = filetype.guess(content)
        if guess is None or guess.mime != expected:
            found = guess.mime if guess else "unrecognised content"
            raise InvalidInput(
                ErrorCode.ATTACHMENT_TYPE,
                f"{name} is named {suffix} but its content is {found}.",
                field=field,
            )
        return expected
    if suffix in TEXT_TYPES:
        if b"\x00" in content[:8192]:
            raise InvalidInput(
                ErrorCode.ATTACHMENT_TYPE,
                f"{name} is named {suffix} but is not text.",
                field=field,
            )
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInput(
                ErrorCode.ATTACHMENT_TYPE,
                f"{name} is not UTF-8 text (bad byte at offset {error.start}).",
                field=field,
            ) from None
        return TEXT_TYPES[suffix]
    raise InvalidInput(
        ErrorCode.ATTACHMENT_TYPE,
        f"{name}: {suffix or 'files without an extension'} not accepted; accepted are {ACCEPTED}.",
        field=field,
    )
