"""The built-in demo corpus: pages of real running text with exact per-glyph boxes."""
