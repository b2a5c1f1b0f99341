"""Evaluators for ``eval_config.metrics_set``: COCO detection metrics and the character
error rate of the text read back from the detections."""

from imagine_plugins.evaluation.plugin import imagine_config_dirs, imagine_reads, imagine_register

__all__ = ["imagine_config_dirs", "imagine_reads", "imagine_register"]
