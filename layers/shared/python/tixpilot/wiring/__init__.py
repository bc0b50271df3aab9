"""Concrete dependencies (repositories, adapters) for the services, built once per container."""
