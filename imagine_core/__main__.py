"""``python -m imagine_core`` is the ``imagine`` command."""

import sys

from imagine_core.cli import main

sys.exit(main())
