"""Contract of plugin-provided CLI commands (``imagine data check``, ``imagine ocr`` …)."""

from __future__ import annotations

import argparse
from abc import ABC, abstractmethod


class Command(ABC):
    """A subcommand a plugin adds. Registered as kind 'command' under its words joined by
    dots: 'ocr' is ``imagine ocr``, 'data.check' is ``imagine data check``."""

    help: str = ""

    @abstractmethod
    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Declare the command's arguments."""

    @abstractmethod
    def run(self, args: argparse.Namespace) -> int:
        """Do the work; return the exit code. Raise ImagineError for user mistakes."""
