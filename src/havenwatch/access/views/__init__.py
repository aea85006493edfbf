"""The access app's pages, one module per concept."""
