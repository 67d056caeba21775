"""Storage drivers for primary storage and image stores, chosen by URL scheme."""
