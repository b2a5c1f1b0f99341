"""imagine's bundled plugins, installed as the package ``imagine_plugins``.

Each sub-package is declared as an entry point in the group ``imagine`` in
pyproject.toml, exactly as a third-party plugin would be, and uses only what
a third-party plugin could.
"""
