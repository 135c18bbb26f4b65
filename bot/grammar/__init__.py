"""What people type, read: the /log grammar (log, lexer), its kinds and results (kinds: plain
data the store may import), dates, amounts, /calibrate's moments (when) and the inline check-in
and brief forms (inline). PURE: text and `now` in, data out; no SQL, no Slack, no clock reads.
"""

import warnings

# cn2an warns (a UserWarning) on text it cannot convert, then raises or leaves the text as it
# was: expected where the grammar asks it (dates_zh.zh_numerals, amounts._cn2an). Filtered
# here once, by module, rather than by warnings.catch_warnings() around each call, which
# swaps the process's filters in and out and is not thread-safe: two /logs read at once could
# leave its "ignore every warning" behind for the whole process.
warnings.filterwarnings("ignore", category=UserWarning, module=r"cn2an\.")
