"""What people type, read: the /log grammar, its kinds (plain data the store may import),
inline check-in and brief forms, and dates and times. PURE: text and `now` in, data out; no SQL,
no Slack, no clock reads.
"""
