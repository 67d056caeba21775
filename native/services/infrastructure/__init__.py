"""Physical infrastructure: zones, pods, clusters, hosts, primary storage, image stores and
the capacity report built from them. Each module holds the rules of one resource; the API
commands in `native/api/commands/` stay thin over them."""
