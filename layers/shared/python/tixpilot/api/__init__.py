"""The HTTP edge: the legacy envelope, error mapping, auth, and the route definitions.

Routes live here (one Router per resource group) rather than in each function's folder so that
one OpenAPI document of the whole API can be generated from the code (tixpilot.api.openapi).
"""
