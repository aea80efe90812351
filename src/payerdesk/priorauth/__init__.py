"""Prior authorization: formulary, criteria, requests, pharmacist review, letters, metrics."""
