"""The raw store floor: the fewest driver round trips each operation needs.

Client credentials = one read of the client by key + one insert; bearer validation = one read
by key; code flow = authorize (read client, insert code) + token (read client, consume the
code atomically, insert the token). Each floor holds one connection for the whole run and
sends one statement or command per round trip, with the same driver and connection settings
as the store it bounds. No validation, hashing or serialization beyond what the call needs.
"""
