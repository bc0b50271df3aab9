"""Lambda entry points, one folder per function (see infra/definitions/functions.py)."""
