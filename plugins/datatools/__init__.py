"""The data workflow: ``imagine data check|convert|demo|synth``.

Readers and writers are looked up in the registry, so a plugin that adds a
format is usable here without touching this package.
"""

from imagine_plugins.datatools.plugin import imagine_config_dirs, imagine_register

__all__ = ["imagine_config_dirs", "imagine_register"]
