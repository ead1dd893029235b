"""Real-time transaction monitoring: every posting is scored before it commits (approve,
review or block) by rules that are data, against the customer's profile and the source
account's recent entries; alerts for analysts; backtests of draft rules over history.
Standard library only, like the rest of the domain."""
