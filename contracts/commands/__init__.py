"""The subcommands of `fanfare-contract` (`contracts.cli`), one module per group."""
