"""The catalogue: the requirements, the seed pages' promises, and the wire contract (openapi/)."""
