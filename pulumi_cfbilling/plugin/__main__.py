"""``python -m pulumi_cfbilling.plugin``: the provider plugin."""

from . import main

main()
