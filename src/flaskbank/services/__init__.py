"""Use cases: what a customer or the bank can do, in the bank's own verbs.

Services import the domain and the store interface only; the web layer and the CLI call them.
"""
