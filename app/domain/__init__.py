"""Plain data and pure rules: no database, no Qt."""
