"""payerdesk: the back office of a health-benefits company."""
