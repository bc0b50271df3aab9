"""Domain logic. Services take repositories and adapters as arguments and never call AWS."""
