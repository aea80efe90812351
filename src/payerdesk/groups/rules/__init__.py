"""Decisions business people own: premium rating and re-rating, and the underwriting
decision tables (the JDM graphs beside these modules)."""
