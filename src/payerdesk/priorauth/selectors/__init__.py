"""Read queries for the prior authorization pages, API and reports, one module per
feature. Import the feature module: there is no re-export here."""
