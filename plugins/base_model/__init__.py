"""The base glyph model that ships in the package: ``imagine ocr PAGES`` reads with it
when no ``--model`` is given, and ``--model base`` names it. Its files are in ``model/``
(a run folder: pipeline.config, label_map.pbtxt, weights-only checkpoint), made by
``imagine base-model`` as this folder's README.md says; without them nothing is
registered and commands that need a model ask for one."""

from imagine_plugins.base_model.plugin import imagine_register

__all__ = ["imagine_register"]
