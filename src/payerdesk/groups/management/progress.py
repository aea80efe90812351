"""A tqdm progress bar on stderr for the import commands (stdout stays the report)."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(total: int, unit: str) -> Iterator[Callable[[int], None]]:
    """Yields a callback taking the count done so far."""
    with tqdm(total=total or None, unit=unit, file=sys.stderr, unit_scale=True) as bar:

        def advance(done: int) -> None:
            bar.update(done - bar.n)

        yield advance
