"""Native adapters for the resale marketplaces' own APIs: one module per marketplace (base.py)."""
