"""priorauth pages, one module per feature; urls.py maps them."""
