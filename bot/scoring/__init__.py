"""The scoring core: PURE. Plain data in, plain data out; no Slack, SQL, store or clock."""
