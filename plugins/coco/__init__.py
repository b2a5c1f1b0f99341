"""COCO detection JSON: reader ``coco_input_reader`` and writer ``coco``."""

from imagine_plugins.coco.plugin import imagine_reads, imagine_register

__all__ = ["imagine_reads", "imagine_register"]
