"""POS adapters: one interface (base.PosAdapter), one file per POS, a registry keyed by the POS
table's names (tixpilot.models.pos)."""

from tixpilot.adapters.pos.base import PoInProgress, PoRequest, PoResult, PosAdapter, PosError
from tixpilot.adapters.pos.registry import adapter_by_name, adapter_for, registered

__all__ = [
    "PoInProgress",
    "PoRequest",
    "PoResult",
    "PosAdapter",
    "PosError",
    "adapter_by_name",
    "adapter_for",
    "registered",
]
