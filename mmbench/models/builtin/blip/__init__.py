"""Built-in BLIP: config, text transformer, the three heads and their adapters."""
