"""The DynamoDB tables of `infra.definitions.TABLES`, exactly as declared there."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.cdk import constants
from infra.cdk.config import EnvConfig
from infra.definitions.tables import TABLES, Key, TableDef

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY}


def _attribute(key: Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


class Tables(Construct):
    """On-demand, PITR, AWS-managed KMS encryption, TTL where declared; retained in prod."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvConfig) -> None:
        super().__init__(scope, construct_id)
        self.tables: dict[str, dynamodb.Table] = {
            table_id: self._table(definition, config) for table_id, definition in TABLES.items()
        }

    def _table(self, definition: TableDef, config: EnvConfig) -> dynamodb.Table:
        definition.key_attributes()  # raises when one attribute is declared with two types
        table = dynamodb.Table(
            self,
            _construct_id(definition.id),
            table_name=constants.table_name(config.name, definition.id),
            partition_key=_attribute(definition.partition_key),
            sort_key=_attribute(definition.sort_key) if definition.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            # The account's aws/dynamodb key: encrypted with KMS and auditable in CloudTrail,
            # without a key policy to maintain (IAM on the table is the only gate).
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute=definition.ttl_attribute,
            deletion_protection=config.retain,
            removal_policy=config.cdk_removal_policy,
        )
        for index in definition.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition_key),
                sort_key=_attribute(index.sort_key) if index.sort_key else None,
                projection_type=_PROJECTIONS[index.projection],
            )
        return table


def _construct_id(table_id: str) -> str:
    return "".join(part.capitalize() for part in table_id.replace("-", "_").split("_")) + "Table"
