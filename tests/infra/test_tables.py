"""The synthesized tables are exactly infra.definitions.TABLES, and prod keeps its data."""

from __future__ import annotations

import pytest

from infra.definitions.tables import TABLES, TableDef

pytestmark = pytest.mark.infra


def _key_schema(partition: str, sort: str | None) -> list[dict[str, str]]:
    return [{"AttributeName": partition, "KeyType": "HASH"}] + (
        [{"AttributeName": sort, "KeyType": "RANGE"}] if sort else []
    )


def _tables_by_name(synthesized) -> dict[str, dict]:
    data = synthesized.stack("Data")
    tables = {r["Properties"]["TableName"]: r for r in data.of_type("AWS::DynamoDB::Table").values()}
    for template in synthesized.templates.values():
        if template is not data:
            assert not template.of_type("AWS::DynamoDB::Table"), (
                f"tables belong in Data, not {template.stack_name}"
            )
    return tables


def test_one_table_per_definition(synthesized):
    expected = {f"tixpilot-{synthesized.env}-{table_id}" for table_id in TABLES}
    assert set(_tables_by_name(synthesized)) == expected


@pytest.mark.parametrize("definition", TABLES.values(), ids=list(TABLES))
def test_table_matches_definition(synthesized, definition: TableDef):
    props = _tables_by_name(synthesized)[f"tixpilot-{synthesized.env}-{definition.id}"]["Properties"]

    assert props["KeySchema"] == _key_schema(
        definition.partition_key.name, definition.sort_key.name if definition.sort_key else None
    )
    declared = {(k.name, k.type) for k in definition.key_attributes()}
    assert {(a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]} == declared

    indexes = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {i.name for i in definition.indexes}
    for index in definition.indexes:
        synthesized_index = indexes[index.name]
        assert synthesized_index["KeySchema"] == _key_schema(
            index.partition_key.name, index.sort_key.name if index.sort_key else None
        )
        assert synthesized_index["Projection"] == {"ProjectionType": index.projection}
    assert "LocalSecondaryIndexes" not in props

    if definition.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {
            "AttributeName": definition.ttl_attribute,
            "Enabled": True,
        }
    else:
        assert "TimeToLiveSpecification" not in props

    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in props
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True


def test_prod_tables_are_protected_and_retained(synth_prod):
    for name, table in _tables_by_name(synth_prod).items():
        assert table["Properties"].get("DeletionProtectionEnabled") is True, name
        assert table.get("DeletionPolicy") == "Retain", name
        assert table.get("UpdateReplacePolicy") == "Retain", name


def test_dev_tables_are_disposable(synth_dev):
    for name, table in _tables_by_name(synth_dev).items():
        assert not table["Properties"].get("DeletionProtectionEnabled"), name
        assert table.get("DeletionPolicy") == "Delete", name


def test_prod_keeps_every_stateful_resource(synth_prod):
    stateful = (
        "AWS::DynamoDB::Table",
        "AWS::S3::Bucket",
        "AWS::Logs::LogGroup",
        "AWS::KMS::Key",
        "AWS::SQS::Queue",
    )
    for template in synth_prod.templates.values():
        for logical_id, resource in template.resources.items():
            if resource["Type"] in stateful:
                assert resource.get("DeletionPolicy") == "Retain", f"{template.stack_name}/{logical_id}"
