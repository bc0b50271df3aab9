"""Pydantic models: domain models in the middle, API shapes at the edge (tixpilot.api.schemas)."""
