"""The one shape of the stack's buckets: private, SSE-S3, versioned, retained, expiring."""

from __future__ import annotations

from troposphere import s3


def private_bucket(logical_id: str, days: int, rule_id: str | None = None,
                   **properties) -> s3.Bucket:
    """No public access, no ACLs, SSE-S3 (the only encryption ELB access logs and S3 server
    access logs accept), versioned, and retained when the stack is deleted: a non-empty
    bucket would fail the deletion, and the lifecycle rule empties it over time (after `days`;
    0 keeps objects). No fixed name: bucket names are global, CloudFormation's never collide."""
    expiry = ({"ExpirationInDays": days,
               "NoncurrentVersionExpiration": s3.NoncurrentVersionExpiration(
                   NoncurrentDays=days)} if days else {})
    return s3.Bucket(
        logical_id,
        DeletionPolicy="Retain",
        UpdateReplacePolicy="Retain",
        BucketEncryption=s3.BucketEncryption(ServerSideEncryptionConfiguration=[
            s3.ServerSideEncryptionRule(
                ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
                    SSEAlgorithm="AES256"))]),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True, BlockPublicPolicy=True, IgnorePublicAcls=True,
            RestrictPublicBuckets=True),
        OwnershipControls=s3.OwnershipControls(Rules=[
            s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        LifecycleConfiguration=s3.LifecycleConfiguration(Rules=[s3.LifecycleRule(
            Status="Enabled", **({"Id": rule_id} if rule_id else {}), **expiry,
            AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(
                DaysAfterInitiation=1))]),
        **properties,
    )
