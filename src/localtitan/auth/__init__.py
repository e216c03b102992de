"""OAuth 2.0 client credentials: signing keys, access tokens, the token endpoint and the door."""
