"""The one error the X12 readers raise: where it is and what was expected."""


class X12Error(ValueError):
    def __init__(
        self,
        message: str,
        *,
        segment_number: int | None = None,
        segment_id: str | None = None,
        element: str | None = None,
    ) -> None:
        self.message = message
        self.segment_number = segment_number
        self.segment_id = segment_id
        self.element = element
        super().__init__(self.located())

    def located(self) -> str:
        place = []
        if self.segment_number is not None:
            place.append(f"segment {self.segment_number}")
        if self.segment_id:
            place.append(f"({self.segment_id})")
        where = " ".join(place)
        if self.element:
            where = f"{where}, {self.element}" if where else self.element
        return f"{where}: {self.message}" if where else self.message
