"""Block Kit builders, one module per feature: structure here, words from bot/locales."""
