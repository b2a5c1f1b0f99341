"""Hydra composes, protobuf validates: YAML groups (or a pipeline.config) to a checked pipeline."""
