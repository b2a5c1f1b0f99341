"""The core's own subcommands; plugins add theirs as components of kind 'command'."""
