"""Every groups state change, one module per feature (import the module you need)."""
