"""The Cloudflare API: the models of its answers, the HTTP client, what a response means."""
