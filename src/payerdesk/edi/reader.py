"""Streaming X12 segments with envelope checks (ISA/IEA, GS/GE, ST/SE).

The delimiters come from the ISA segment, which has fixed width: the element separator
is its 4th character, the component separator its 105th and the segment terminator
its 106th. Line breaks between segments are tolerated, as many senders add them.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from payerdesk.edi.errors import X12Error

ISA_LENGTH = 106
CHUNK = 1 << 16  # 64 KiB: a chunk's segments stay in the CPU caches (faster than 1 MiB)


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str
    component: str
    segment: str
    repetition: str


@dataclass(slots=True)
class Segment:
    number: int  # 1-based position in the interchange, as error messages quote it
    id: str
    elements: list[str]  # elements[0] is the segment id, so elements[1] is XX01

    def get(self, position: int) -> str:
        """Element XXnn (1-based); empty when absent."""
        return self.elements[position] if position < len(self.elements) else ""

    def require(self, position: int, what: str) -> str:
        value = self.get(position)
        if not value:
            raise self.error(f"{what} is required", position)
        return value

    def error(self, message: str, position: int | None = None) -> X12Error:
        element = f"{self.id}{position:02d}" if position is not None else None
        return X12Error(message, segment_number=self.number, segment_id=self.id, element=element)


def _delimiters(isa: str) -> Delimiters:
    if not isa.startswith("ISA") or len(isa) < ISA_LENGTH:
        raise X12Error("the file does not start with a complete ISA segment", segment_number=1)
    element = isa[3]
    fields = isa[:ISA_LENGTH].split(element)
    if len(fields) != 17:
        raise X12Error(
            f"ISA has {len(fields) - 1} elements; expected 16", segment_number=1, segment_id="ISA"
        )
    component, terminator = isa[104], isa[105]
    if terminator.isalnum() or terminator in {element, component}:
        raise X12Error(
            f"segment terminator {terminator!r} is not a delimiter",
            segment_number=1,
            segment_id="ISA",
            element="ISA16",
        )
    return Delimiters(element, component, terminator, fields[11])


def _texts(source: IO[bytes] | IO[str]) -> Iterator[str]:
    while chunk := source.read(CHUNK):
        if isinstance(chunk, bytes):
            try:
                yield chunk.decode("ascii")
            except UnicodeDecodeError as error:
                raise X12Error(
                    f"byte {chunk[error.start]:#04x} is not in the X12 character set"
                ) from None
        else:
            yield chunk


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def _open(source: IO[bytes] | IO[str]) -> tuple[str, Iterator[str], Delimiters]:
    texts = _texts(source)
    head = ""
    for text in texts:
        head = (head + text).lstrip()
        if len(head) >= ISA_LENGTH:
            break
    if not head:
        raise X12Error("the file is empty")
    return head, texts, _delimiters(head)


# `read_segments` pads segments to this many elements so that readers can index them.
PADDED = 12
_PAD = [""] * PADDED


def widen(elements: list[str], size: int) -> list[str]:
    """Pad a segment's elements in place with empty (absent) ones up to `size`."""
    if len(elements) < size:
        elements += [""] * (size - len(elements))
    return elements


ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})


def _count(segment: Segment, position: int, what: str) -> int:
    value = segment.require(position, what)
    if not value.isdigit():
        raise segment.error(f"{what} must be a number, not {value!r}", position)
    return int(value)


def _expect(segment: Segment, position: int, expected: int | str, what: str) -> None:
    value = _count(segment, position, what) if isinstance(expected, int) else segment.get(position)
    if value != expected:
        raise segment.error(f"{what} is {value!r}; expected {expected!r}", position)


class Envelope:
    """The open interchange, functional group and transaction set, checked a segment at
    a time: ISA/IEA, GS/GE and ST/SE must nest; IEA01, GE01 and SE01 must count what
    they enclose, and IEA02, GE02 and SE02 repeat their opening control numbers.

    A reader must `check` every envelope segment, every segment outside a transaction
    set and the first segment of each other id (whose form it checks), then `close`.
    """

    __slots__ = ("groups", "gs", "isa", "sets", "st")

    def __init__(self) -> None:
        self.isa: Segment | None = None
        self.gs: Segment | None = None
        self.st: Segment | None = None
        self.groups = 0
        self.sets = 0

    def check(self, number: int, elements: list[str]) -> None:
        _check(self, Segment(number, elements[0], elements))

    def close(self, number: int) -> None:
        """At the end of the file, `number` segments in: the interchange must be closed."""
        if number == 0 or self.isa is not None:
            raise X12Error(
                "the file ends before its IEA segment: it is truncated", segment_number=number
            )


def split_segments(source: IO[bytes] | IO[str]) -> tuple[Delimiters, Iterator[list[str]]]:
    """The delimiters (from the ISA), and the segments' texts a read chunk at a time.

    Empty segments are dropped; the iterator raises when the file ends inside a
    segment. The texts are split into elements by the reader, one at a time: holding
    a chunk's element lists costs more in garbage collection than the split itself.
    """
    head, texts, delimiters = _open(source)
    return delimiters, _segment_texts(head, texts, delimiters.segment)


def _segment_texts(head: str, texts: Iterator[str], terminator: str) -> Iterator[list[str]]:
    drop_line_breaks = terminator not in "\r\n"
    empty = terminator + terminator
    count = 0
    carry = ""
    for text in _chain(head, texts):
        if drop_line_breaks:  # a scan is cheaper than a replace that finds nothing
            if "\r" in text:
                text = text.replace("\r", "")
            if "\n" in text:
                text = text.replace("\n", "")
        text = carry + text
        parts = text.split(terminator)
        carry = parts.pop()
        if text.startswith(terminator) or empty in text:  # an empty segment: drop it
            parts = [part for part in parts if part]
        if parts:
            count += len(parts)
            yield parts
    if carry.strip():
        raise X12Error(
            f"the file ends inside a segment ({carry.strip()[:20]!r}…): it is truncated",
            segment_number=count + 1,
        )


def read_segments(source: IO[bytes] | IO[str]) -> Iterator[Segment]:
    """The file's segments, numbered and padded to `PADDED` elements, checking the
    envelopes as they open and close (see `Envelope`). Each segment is split as it is
    read (`split_segments`): the readers of 834s and 820s use that loop directly."""
    delimiters, chunks = split_segments(source)
    separator = delimiters.element
    envelope = Envelope()
    checked: set[str] = set()  # ids inside a transaction set whose form has been checked
    number = 0
    for parts in chunks:
        for part in parts:
            number += 1
            elements = part.split(separator)
            sid = elements[0]
            # Outside a set every segment is checked; inside one, every envelope
            # segment and the first of each other id.
            if envelope.st is None or sid not in checked:
                envelope.check(number, elements)
                if envelope.st is not None and sid not in ENVELOPE_IDS:
                    checked.add(sid)
            if len(elements) < PADDED:
                elements += _PAD[len(elements) :]
            yield Segment(number, sid, elements)
    envelope.close(number)


def _check(state: Envelope, segment: Segment) -> None:
    sid = segment.id
    if not (2 <= len(sid) <= 3 and sid.isalnum() and sid.upper() == sid):
        raise segment.error(f"{sid[:10]!r} is not a segment identifier")
    if sid == "ISA":
        if state.isa is not None:
            raise segment.error("ISA inside an open interchange (IEA missing)")
        state.isa, state.groups = segment, 0
    elif state.isa is None:
        raise segment.error(f"{sid} outside an interchange (ISA/IEA)")
    elif sid == "IEA":
        if state.gs is not None:
            raise segment.error("IEA before the GE that closes the functional group")
        _expect(segment, 1, state.groups, "IEA01 (number of functional groups)")
        _expect(segment, 2, state.isa.get(13), "IEA02 (interchange control number)")
        state.isa = None
    elif sid == "GS":
        if state.gs is not None:
            raise segment.error("GS inside an open functional group (GE missing)")
        state.gs, state.sets = segment, 0
        state.groups += 1
    elif sid == "GE":
        if state.gs is None or state.st is not None:
            raise segment.error("GE without an open GS, or before the SE that closes the set")
        _expect(segment, 1, state.sets, "GE01 (number of transaction sets)")
        _expect(segment, 2, state.gs.get(6), "GE02 (group control number)")
        state.gs = None
    elif state.gs is None:
        raise segment.error(f"{sid} outside a functional group (GS/GE)")
    elif sid == "ST":
        if state.st is not None:
            raise segment.error("ST inside an open transaction set (SE missing)")
        state.st = segment
        state.sets += 1
    elif state.st is None:
        raise segment.error(f"{sid} outside a transaction set (ST/SE)")
    elif sid == "SE":
        in_set = segment.number - state.st.number + 1  # ST to SE, both included
        _expect(segment, 1, in_set, "SE01 (number of segments, ST to SE)")
        _expect(segment, 2, state.st.get(2), "SE02 (transaction set control number)")
        state.st = None
