"""The one source of truth for what the system is made of.

Tables, functions and their routes are declared here once, as plain data. The CDK app turns
them into CloudFormation, the local stack into moto tables and an HTTP router, and the tests
build their tables from them; a test proves the synthesized template and these agree.
Nothing here imports aws_cdk or boto3.
"""
