"""One module per grant type; each exposes ``handle(ctx, client, form, now)``."""
