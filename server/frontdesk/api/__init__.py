"""The integration API: request/response schemas, the call wrapper, and the OpenAPI document."""
