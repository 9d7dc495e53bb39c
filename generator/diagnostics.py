"""Problems found while generating, collected rather than raised.

A warning means something was mapped inexactly (and what was done instead);
an error means no output is written. ``--strict`` turns warnings into errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Level = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Diagnostic:
    level: Level
    where: str  # e.g. "POST /pipelines/{uuid}/start" or "#/components/schemas/X"
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.message}"


@dataclass
class Diagnostics:
    items: list[Diagnostic] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        self.items.append(Diagnostic("error", where, message))

    def warning(self, where: str, message: str) -> None:
        self.items.append(Diagnostic("warning", where, message))

    def info(self, where: str, message: str) -> None:
        self.items.append(Diagnostic("info", where, message))

    def of_level(self, level: Level) -> list[Diagnostic]:
        return [d for d in self.items if d.level == level]

    @property
    def has_errors(self) -> bool:
        return any(d.level == "error" for d in self.items)


class GeneratorError(Exception):
    """A failure the user must fix; printed as a message, never a traceback."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []
