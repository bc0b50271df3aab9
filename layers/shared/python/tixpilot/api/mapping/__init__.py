"""The one place where clean domain models become the legacy API's field names and formats: a
module per concept (`purchases` with their tickets, `receipts`, `accounts`, `sales`), so a route
loads only its own concept's models (a first request pays for every module it imports), and
`common` for what they share. This package's own module imports nothing."""
