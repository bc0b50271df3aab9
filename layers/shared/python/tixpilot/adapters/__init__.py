"""Outside systems: mail transport, primaries (crawl), POS, marketplaces."""
