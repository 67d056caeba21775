"""The Alto appliance: configuration, first-boot setup and the `alto` command."""
