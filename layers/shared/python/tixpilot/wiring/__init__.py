"""The composition root: every repository and adapter a function uses, built once per container.

`components` builds each concrete repository and adapter once (`@cache`); the other modules
bundle them into the dependency dataclasses the services take (`AccountDeps`, `SalesRepos`,
`PipelineDeps`, ...), one module per concern, also once. Routes and task handlers ask these
builders and construct nothing themselves; tests give services in-memory fakes instead.
See docs/architecture.md.
"""
