"""The groups pages, one module per feature; `payerdesk.groups.urls` routes to them."""
