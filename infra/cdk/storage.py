"""The S3 buckets of `infra.definitions.BUCKETS`, and the bucket their access logs go to.

Every bucket gets the same guard rails: SSE-S3, all public access blocked, bucket-owner-enforced
ownership (no ACLs), TLS 1.2+ only, versioning, server access logs, and a lifecycle that moves
objects to Infrequent Access after 30 days and drops old versions after 30 days. Objects are
never expired: the raw messages are kept, so intake can run over them again (`tixpilot receipts
replay`).
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.cdk import constants
from infra.cdk.config import EnvConfig
from infra.definitions.tables import BUCKETS


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvConfig) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            bucket_name=constants.bucket_name(
                config.name, constants.ACCESS_LOGS_BUCKET, stack.account, stack.region
            ),
            encryption=s3.BucketEncryption.S3_MANAGED,  # the encryption S3 log delivery supports
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(365)),
                s3.LifecycleRule(
                    id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(7)
                ),
            ],
            removal_policy=config.cdk_removal_policy,
        )

        self.buckets: dict[str, s3.Bucket] = {
            bucket_id: self._bucket(config, stack, bucket_id, purpose)
            for bucket_id, purpose in BUCKETS.items()
        }

    def _bucket(self, config: EnvConfig, stack: Stack, bucket_id: str, purpose: str) -> s3.Bucket:
        return s3.Bucket(
            self,
            "".join(part.capitalize() for part in bucket_id.split("-")),
            bucket_name=constants.bucket_name(config.name, bucket_id, stack.account, stack.region),
            # SSE-S3: SES writes with its service principal, which a customer KMS key would need
            # a key policy for; reads are gated by IAM on the object ARNs.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{bucket_id}/",
            lifecycle_rules=[
                # Objects smaller than 128 KB are not transitioned (S3's default minimum size).
                s3.LifecycleRule(
                    id="infrequent-access-after-30-days",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(30),
                        )
                    ],
                ),
                s3.LifecycleRule(
                    id="expire-noncurrent-versions", noncurrent_version_expiration=Duration.days(30)
                ),
                s3.LifecycleRule(
                    id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(7)
                ),
            ],
            removal_policy=config.cdk_removal_policy,
        )
