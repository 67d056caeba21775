"""Network drivers: they make a virtual router run the configuration rendered for it."""
