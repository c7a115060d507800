"""The HTTP application: commands, queries, auth, access log, partner feed, pages."""
