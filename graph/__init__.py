"""Knowledge graph (issue #4): facts with chunk provenance in Neo4j or ArcadeDB over Bolt.

`graph_store.GraphStore` stores and reads them; `bolt_server.EmbeddedBoltServer` runs a local
ArcadeDB Bolt server. See docs/graph_store.md.
"""
