"""Real-time monitoring's use cases: screening each posting before it commits
(screening.py), the feed consumer that keeps customers' profiles and opens alerts
(consumer.py), analysts' work on alerts (alerts.py), rules as data (rules.py), and
backtests of draft rules over history (backtests.py). docs/monitoring.md tells the story."""
