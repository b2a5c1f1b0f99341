"""What validation found: problems (errors) and notes (fields nothing reads yet)."""

from __future__ import annotations

from dataclasses import dataclass, field

from imagine_core.errors import ConfigError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pipeline: its dotted path, what, how to fix, and where from."""

    path: str
    what: str
    fix: str = ""
    origin: str = ""  # file:line or 'command line: key=value'

    def __str__(self) -> str:
        where = self.path + (f" (from {self.origin})" if self.origin else "")
        text = f"{where}: {self.what}"
        return text + (f"\n    fix: {self.fix}" if self.fix else "")


@dataclass
class ValidationReport:
    errors: list[Problem] = field(default_factory=list)
    missing_paths: list[Problem] = field(default_factory=list)
    missing_components: list[Problem] = field(default_factory=list)
    unread_fields: list[str] = field(default_factory=list)
    applied_knobs: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def ok(self, *, strict: bool = False) -> bool:
        if self.errors or self.missing_paths:
            return False
        return not (strict and (self.missing_components or self.unread_fields))


def raise_problems(problems: list[Problem], title: str) -> None:
    """Raise one ConfigError that lists every problem."""
    if not problems:
        return
    if len(problems) == 1:
        p = problems[0]
        where = p.path + (f" (from {p.origin})" if p.origin else "")
        raise ConfigError(p.what, where=where, fix=p.fix or None)
    body = "\n".join(f"  - {p}" for p in problems)
    raise ConfigError(f"{title} ({len(problems)} problems):\n{body}")
