"""``python -m pulumi_cfbilling``: the same as the ``cfbilling`` command."""

import sys

from .cli import main

sys.exit(main())
