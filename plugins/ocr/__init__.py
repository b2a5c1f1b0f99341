"""Bundled plugin: read pages — tiling, line and reading order, txt/hOCR/ALTO/PAGE output,
and detections back to LabelImg for correction."""

from imagine_plugins.ocr.checks import imagine_check_pipeline
from imagine_plugins.ocr.plugin import imagine_fill_from_pages, imagine_reads, imagine_register

__all__ = [
    "imagine_check_pipeline",
    "imagine_fill_from_pages",
    "imagine_reads",
    "imagine_register",
]
