"""The guardrails: the table, the rule functions, the runway forecast. Pure: no I/O."""
