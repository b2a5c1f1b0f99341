"""TFRecords with the TF Object Detection API's feature keys.

Registers the reader ``tf_record_input_reader``, the writer ``tfrecord``, the
text-safe augmentation steps and the tf.data input pipeline that models use.
TensorFlow is imported only when one of them runs.
"""

from imagine_plugins.tfrecord.plugin import imagine_config_dirs, imagine_reads, imagine_register

__all__ = ["imagine_config_dirs", "imagine_reads", "imagine_register"]
