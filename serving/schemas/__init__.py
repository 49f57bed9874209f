"""msgspec structs for every request and response body of the API (one module per resource)."""
