"""Stage 12, building and checking the golden sets: `sqlgate validate`, the mutation suite
(neighbour queries and their kill score), the seeded training-set generator."""
