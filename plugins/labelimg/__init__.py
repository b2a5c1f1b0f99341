"""LabelImg's Pascal VOC XML: the format people mark glyphs in.

Registers the dataset reader ``labelimg_input_reader`` (a folder of images with
one XML file beside each) and claims the fields it honours.
"""

from imagine_plugins.labelimg.plugin import imagine_reads, imagine_register

__all__ = ["imagine_reads", "imagine_register"]
