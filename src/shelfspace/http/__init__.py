"""What every HTTP route shares: dependencies, error rendering, metrics, health."""
