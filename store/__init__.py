"""The only place with SQL: models, engine and sessions, one module per aggregate, migrations.
Imports nothing from bot/ or handlers/ but plain data (bot.scoring.facts, grammar kinds).
"""
