"""The access app's services: every write goes through one of them."""
