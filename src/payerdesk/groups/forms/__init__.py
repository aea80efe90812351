"""The groups forms, one module per feature."""
