"""The base of every pydantic model of ours: validators built on first use, not at import.

A function imports far more models than its first request touches (a route module brings the
shapes of every route in its group, a service module those of all its operations). pydantic
builds a model's validator and serializer when the class is created unless the model defers
that to its first validation, dump or schema; a deferred model costs a class, not a core schema,
until it is used. That keeps the models no request needs off a cold start's first request
(bench/cold_start.py measures it), and changes nothing else: the first use builds exactly what
import would have built.
"""

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
