"""Models of the pole."""
