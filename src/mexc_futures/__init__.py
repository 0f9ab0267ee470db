"""mexc-futures: MEXC Futures toolkit."""
