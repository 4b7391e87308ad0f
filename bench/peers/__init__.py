"""Authlib 1.9 as the peer: its framework-agnostic server over the same stores and drivers."""
