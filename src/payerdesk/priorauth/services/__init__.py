"""Every change to priorauth data, one module per feature. Import the feature module:
there is no re-export here."""
