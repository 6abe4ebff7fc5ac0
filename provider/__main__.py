"""Entry point of the source-based cfbilling provider plugin (the same as `pulumi-resource-cfbilling`)."""

from pulumi_cfbilling.plugin import main

main()
