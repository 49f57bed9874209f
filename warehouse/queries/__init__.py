"""Read queries over the warehouse, one module per subject. Bound parameters only."""
