"""Task generators: GraphLA (linear equations over dish prices) and GraphLI (propositional chains)."""
