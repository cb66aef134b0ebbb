"""Replication of Furusho & Ikeda (ACML 2019), "ResNet and Batch-normalization Improve Data
Separability": random-init propagation, infinite-width theory, training and claim tests.

The names of the data sets live here, once, and those of the architectures in their registry
(``separability.architectures``): the workflow's wildcard constraints and the config schema's
enumerations are built from them.
"""

VISION_DATASETS = ("mnist", "fashion_mnist", "cifar10")
DATASETS = ("digits", "synthetic", "mnist5k", *VISION_DATASETS)

__all__ = ["DATASETS", "VISION_DATASETS"]
