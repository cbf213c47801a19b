"""Properties: the built-in ones and the scenario's own, compiled from the
shared IR expressions to Python predicates over kernel states."""
