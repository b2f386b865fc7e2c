"""The territory kit: a territory's configuration as sections of items (see `core.hookspecs.KitSection`),
written to a versioned archive, compared and merged with its template's."""
