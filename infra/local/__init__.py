"""The local stack (`make run`): moto over HTTP, the API gateway, SMTP and the primary sandbox."""
