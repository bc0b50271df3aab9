"""Infrastructure tests: the synthesized CDK app against the definitions, cdk-nag and cfn-lint."""
