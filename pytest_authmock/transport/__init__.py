"""Transports: thin adapters that hand requests to the provider core."""
