"""File formats the groups app writes: the group contract PDF."""
