"""The legacy JSON envelope every answer has (errors included), and the id check the routes share;
a concern's own output shapes are in its `*_schemas` module."""

from typing import Generic, Literal, TypeVar

from pydantic import Field

from tixpilot.models.base import Model

T = TypeVar("T")


def check_identifier(value: str) -> str:
    """An id the API takes (an order id, a sale id): 1-64 ASCII letters, digits, '.', '_' or '-'."""
    if not value or len(value) > 64 or not all(c.isascii() and (c.isalnum() or c in "._-") for c in value):
        raise ValueError(f"'{value[:70]}' is not an id; use 1-64 letters, digits, '.', '_' or '-'")
    return value


class Result(Model):
    status: Literal["success", "error"] = "success"
    message: str = ""
    messageid: str = ""


class Envelope(Model, Generic[T]):
    """`{"result": {...}, "output": [...]}`, the shape of every answer, errors included."""

    result: Result = Field(default_factory=Result)
    output: list[T] = Field(default_factory=list)


class PagedEnvelope(Envelope[T], Generic[T]):
    """The envelope of a list answered a page at a time, when the legacy `output` is the list
    itself (GET /v2/sales): the next page's cursor sits beside it."""

    cursor: str | None = Field(
        default=None,
        description="TixPilot extension: pass as `cursor` (with the same query) for the next page; "
        "null on the last. A page can be shorter than page_size (even empty) while cursor is not "
        "null: follow it until it is null.",
    )


class ErrorEnvelope(Model):
    result: Result
    output: list[object] = Field(default_factory=list)
