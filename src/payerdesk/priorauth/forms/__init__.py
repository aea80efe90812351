"""priorauth page forms, one module per feature."""
