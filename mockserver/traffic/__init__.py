"""Sending as the Chat backend would: deliveries to a URL, judged against the contract."""
