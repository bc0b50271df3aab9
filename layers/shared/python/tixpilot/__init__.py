"""TixPilot's shared package: models, domain services, repositories and adapters.

Every Lambda function imports it from the shared layer; nothing here does work at import time.
"""
