"""``python -m pulumi_cfbilling.tfprovider``: the provider's launcher target."""

import sys

from . import main

sys.exit(main())
