"""officestream's ground layer: Avro event schemas, their models and serde, and the settings base.

Imports nothing else of ours (DESIGN.md, "Layers").
"""
