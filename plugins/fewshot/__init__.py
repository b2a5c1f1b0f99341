"""``imagine fewshot``: from one marked page and the document's other pages to a model,
the document teaching itself (rounds of self-training on its own unmarked pages).

It runs the documented commands (``data synth``, ``run``, ``ocr``) as a user would, each
in its own process, so it needs nothing of the plugins behind them but their commands.
"""

from imagine_plugins.fewshot.plugin import imagine_register

__all__ = ["imagine_register"]
