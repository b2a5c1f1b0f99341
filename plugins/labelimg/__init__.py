"""LabelImg's two formats, the ones people mark glyphs in: Pascal VOC XML and YOLO.

Registers the dataset readers ``labelimg_input_reader`` and ``yolo_input_reader``
and the dataset writers ``labelimg`` and ``yolo``.
"""

from imagine_plugins.labelimg.plugin import imagine_config_dirs, imagine_reads, imagine_register

__all__ = ["imagine_config_dirs", "imagine_reads", "imagine_register"]
