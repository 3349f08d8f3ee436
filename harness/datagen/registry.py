"""The registry of hand-written table generators (the tables that carry the data facts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from harness.datagen.context import GenContext

Make = Callable[[GenContext], dict[str, pd.DataFrame]]


@dataclass(frozen=True)
class HandGenerator:
    """Makes the tables in `produces` (all columns it knows, catalog or not) from the frames
    of the tables in `needs`, which are generated first."""

    produces: tuple[str, ...]
    needs: tuple[str, ...]
    make: Make

    @property
    def name(self) -> str:
        """The generator's name in the generation plan: its first table."""
        return self.produces[0]


GENERATORS: list[HandGenerator] = []


def generates(*produces: str, needs: tuple[str, ...] = ()) -> Callable[[Make], Make]:
    """Register the decorated function as the generator of `produces`."""

    def register(make: Make) -> Make:
        GENERATORS.append(HandGenerator(tuple(produces), tuple(needs), make))
        return make

    return register
