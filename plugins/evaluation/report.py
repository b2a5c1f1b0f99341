"""Rich tables of a character-error-rate evaluation: per page, and the confusions."""

from __future__ import annotations

from rich.table import Table

from imagine_plugins.evaluation.metrics import CharacterErrorRate


def shown(char: str) -> str:
    return {"": "∅", " ": "␣", "\n": "⏎"}.get(char, char)


def page_table(evaluator: CharacterErrorRate) -> Table:
    table = Table(title="character and word error rate")
    for column in ("page", "characters", "errors", "CER", "WER"):
        table.add_column(column, justify="left" if column == "page" else "right")
    for page in evaluator.pages:
        table.add_row(
            page.name, str(page.characters), str(page.errors), f"{page.cer:.2%}", f"{page.wer:.2%}"
        )
    total = evaluator.result()
    table.add_section()
    table.add_row(
        "total",
        str(sum(p.characters for p in evaluator.pages)),
        str(sum(p.errors for p in evaluator.pages)),
        f"{total['CER']:.2%}",
        f"{total['WER']:.2%}",
        style="bold",
    )
    return table


def confusion_table(evaluator: CharacterErrorRate, top: int = 15) -> Table:
    """The most frequent edits: a true character read as another (∅: missed or extra)."""
    table = Table(title=f"most frequent errors (top {top})")
    for column in ("true", "read", "count", "share of errors"):
        table.add_column(column, justify="right" if column[0] in "cs" else "center")
    errors = sum(evaluator.confusions.values()) or 1
    for (truth, read), count in evaluator.confusions.most_common(top):
        table.add_row(shown(truth), shown(read), str(count), f"{count / errors:.1%}")
    return table
