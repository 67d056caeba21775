"""Networking: IP address management, guest networks, public IPs, rules, VPCs, security
groups, and the virtual routers that run them."""
