"""What people type, read: the /log grammar (log, lexer), its kinds and results (kinds: plain
data the store may import), dates, amounts, /calibrate's moments (when) and the inline check-in
and brief forms (inline). PURE: text and `now` in, data out; no SQL, no Slack, no clock reads.
"""
