"""TIXPILOT_STATE_DIR: the emulator's data saved on exit and restored on start."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from infra.definitions.tables import BUCKETS, SECRETS, TABLES
from tixpilot.settings import Settings

STATE_FILE = "state.json"


def _encode_binary(value: Any) -> Any:
    """Binary attributes (B, BS: e.g. KMS ciphertexts) as base64 in the JSON snapshot."""
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    raise TypeError(f"cannot snapshot a {type(value).__name__}")


def _decode_binary(value: dict[str, Any]) -> Any:
    return base64.b64decode(value["$b64"]) if value.keys() == {"$b64"} else value


def snapshot(
    settings: Settings, dynamodb: Any, s3: Any, folder: Path, secretsmanager: Any | None = None
) -> dict[str, int]:
    """Write every table's items, every bucket's objects and the secrets (the cursor key: the
    cursors handed out before a restart stay valid) to folder/state.json."""
    state: dict[str, Any] = {"tables": {}, "buckets": {}, "secrets": {}, "meta": {}}
    if secretsmanager is not None:
        for purpose in SECRETS:
            value = secretsmanager.get_secret_value(SecretId=settings.secret_name(purpose))
            state["secrets"][purpose] = value["SecretString"]
    counts: dict[str, int] = {}
    for table in TABLES.values():
        items: list[Any] = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=settings.table_name(table.id)):
            items.extend(page["Items"])
        state["tables"][table.id] = items
        counts[table.id] = len(items)
    for purpose in BUCKETS:
        objects = {}
        bucket = settings.bucket_name(purpose)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                objects[obj["Key"]] = base64.b64encode(body).decode()
        state["buckets"][purpose] = objects
        counts[f"bucket:{purpose}"] = len(objects)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, default=_encode_binary))
    tmp.replace(folder / STATE_FILE)  # never leave a half-written snapshot
    return counts


def restore(
    settings: Settings, dynamodb: Any, s3: Any, folder: Path, secretsmanager: Any | None = None
) -> dict[str, int] | None:
    path = folder / STATE_FILE
    if not path.exists():
        return None
    state = json.loads(path.read_text(), object_hook=_decode_binary)
    counts: dict[str, int] = {}
    if secretsmanager is not None:
        from infra.local.resources import ensure_secret

        for purpose, value in state.get("secrets", {}).items():
            if purpose in SECRETS:
                ensure_secret(secretsmanager, settings.secret_name(purpose), SECRETS[purpose], value)
    for table_id, items in state.get("tables", {}).items():
        if table_id not in TABLES:
            continue
        name = settings.table_name(table_id)
        for start in range(0, len(items), 25):
            pending: dict[str, Any] = {name: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
            while pending:
                pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        counts[table_id] = len(items)
    for purpose, objects in state.get("buckets", {}).items():
        for key, body in objects.items():
            s3.put_object(Bucket=settings.bucket_name(purpose), Key=key, Body=base64.b64decode(body))
        counts[f"bucket:{purpose}"] = len(objects)
    return counts


def read_meta(folder: Path | None) -> dict[str, Any]:
    path = folder / "local.json" if folder else None
    return json.loads(path.read_text()) if path and path.exists() else {}


def write_meta(folder: Path | None, meta: dict[str, Any]) -> None:
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "local.json").write_text(json.dumps(meta, indent=2))
