"""The analytics warehouse: a port (base.py) and its DuckDB adapter (duck/). The services
feed it from the event feed (services/analytics) and ask it report questions."""
