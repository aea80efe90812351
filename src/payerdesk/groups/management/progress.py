"""A tqdm progress bar on stderr for the import commands (stdout stays the report)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, cast

from django.core.management.base import OutputWrapper
from tqdm import tqdm


@contextmanager
def progress_bar(stderr: OutputWrapper, total: int, unit: str) -> Iterator[Callable[[int], None]]:
    """Yields a callback taking the count done so far. The bar writes to the command's
    own stderr stream, unwrapped (Django's wrapper would end each redraw with a newline)."""
    stream = cast(IO[str], stderr._out)
    with tqdm(total=total or None, unit=f" {unit}", file=stream, mininterval=0.5) as bar:

        def advance(done: int) -> None:
            bar.update(done - bar.n)

        yield advance
