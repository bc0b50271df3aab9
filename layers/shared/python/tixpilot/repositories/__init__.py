"""The only code that talks to DynamoDB and S3: one repository per aggregate.

Every method that reads or writes a tenant's rows takes the tenant id and puts it in the key, so
no request can reach another tenant's rows. None of them Scans.
"""
