"""Bundled plugin: export a trained run as a TensorFlow SavedModel."""

from imagine_plugins.export.plugin import imagine_config_dirs, imagine_reads, imagine_register

__all__ = ["imagine_config_dirs", "imagine_reads", "imagine_register"]
