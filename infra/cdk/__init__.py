"""The CDK app's constructs: one per concern (tables, functions, api, intake, monitoring).

`stacks.py` composes them into one thin stack set per environment; names come from
`constants.py`, per-environment settings from `config.py` (read from `cdk.json` context).
"""

import os

# The jsii runtime (a node process started on the first aws_cdk import) inherits these; without
# them every synth starts with a banner about the node version. Node 20 is what we have.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
