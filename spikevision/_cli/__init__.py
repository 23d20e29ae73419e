"""One module per ``spikevision`` subcommand (see :mod:`spikevision.cli`)."""
