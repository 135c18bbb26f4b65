"""The scoring core: PURE. Plain data in, plain data out; no Slack, SQL, store or clock.

facts.py (the store's contract) -> rules.py (every rule as data) -> points.py (behaviour points,
lapses), kbi.py (pace), targets.py (forecast, attainment), scorecard.py + grades.py,
recommend.py (consequences), compare.py (history/team, quadrant), funnel.py, leaderboard.py.
"""
