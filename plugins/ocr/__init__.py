"""Bundled plugin: read pages — tiling, line and reading order, txt/hOCR/ALTO/PAGE output,
and detections back to LabelImg for correction."""

from imagine_plugins.ocr.plugin import imagine_reads, imagine_register

__all__ = ["imagine_reads", "imagine_register"]
