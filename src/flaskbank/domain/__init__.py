"""The bank's domain: money, accounts, users, the ledger and its errors.

Imports only the standard library (a test enforces it), so that the rules of money can be read
and tested without a web framework or a database.
"""
