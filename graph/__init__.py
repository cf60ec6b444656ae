"""Knowledge graph stage (entity/relation extraction into Neo4j over Bolt): arrives with issue #4."""
