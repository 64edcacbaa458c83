"""The rules: plain functions that take the business explicitly, testable without HTTP."""
