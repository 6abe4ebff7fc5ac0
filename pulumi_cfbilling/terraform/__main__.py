"""``python -m pulumi_cfbilling.terraform``: the provider's launcher target."""

import sys

from . import main

sys.exit(main())
