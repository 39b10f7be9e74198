"""The HTTP faces of the decision engine, and the bridge from the catalogue to its snapshot."""
