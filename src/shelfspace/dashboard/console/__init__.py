"""The operator console: the network's revenue, inventory, catalogue, review queue and health."""
