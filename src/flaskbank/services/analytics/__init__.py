"""Analytics: the warehouse's consumer of the event feed (feed.py), and the reports asked of
it (reports.py, with their pure arithmetic in periods.py and deposit_growth.py)."""
