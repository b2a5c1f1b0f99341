"""The bridge between imagine's plugins and Hydra's config search path.

Hydra finds this module in the ``hydra_plugins`` namespace; it asks imagine's
plugin manager for the config folders plugins contribute (hook
``imagine_config_dirs``), so plugin authors only deal with pluggy.
"""

from __future__ import annotations

from hydra.core.config_search_path import ConfigSearchPath
from hydra.plugins.search_path_plugin import SearchPathPlugin


class ImagineSearchPathPlugin(SearchPathPlugin):
    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        from imagine_core.plugins import get_plugins

        for plugin, dirs in get_plugins().config_dirs.items():
            for path in dirs:
                if "://" not in path:
                    path = "file://" + path
                search_path.append(provider=f"imagine-plugin-{plugin}", path=path)
