"""Dates and times as people live them: periods, working days, cadences, local times. PURE:
plain dates in and out, no clock reads, no SQL, no Slack; may import only the standard library,
`holidays` and bot.scoring's plain data.
"""
