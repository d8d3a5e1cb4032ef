"""Storage: the only place that writes SQL. Functions take an explicit ``Database``."""
