"""Primary connectors (crawl): one interface (base.PrimaryConnector), a registry keyed by the
buying marketplace id."""

from tixpilot.adapters.primaries.base import PrimaryConnector, PrimaryUnavailable
from tixpilot.adapters.primaries.registry import connector_for

__all__ = ["PrimaryConnector", "PrimaryUnavailable", "connector_for"]
