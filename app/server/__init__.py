"""The service's PostgreSQL: the second store, beside each laptop's SQLite file.

Each team's Keel publishes a minimal copy of its facts (app.server.publish) into one schema
(app.server.schema: tables, roles, row-level security and the schema's own versioned
migrations); the manager's Keel reads every team's facts back (app.server.facts) and computes
statuses with the same engine as a laptop. Errors are ``app.errors.ServiceError`` subclasses,
each a sentence that says what to do. Nothing here imports app.storage: the services layer
hands this package the local rows.
"""
