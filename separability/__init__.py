"""Replication of Furusho & Ikeda (ACML 2019), "ResNet and Batch-normalization Improve Data
Separability": random-init propagation, infinite-width theory, training and claim tests.

The names of the architectures and data sets live here, once: the workflow's wildcard
constraints are built from them and the config schema is checked against them (tests).
"""

ARCHITECTURES = ("mlp", "resnet", "resnet_bn")
VISION_DATASETS = ("mnist", "fashion_mnist", "cifar10")
DATASETS = ("digits", "synthetic", "mnist5k", *VISION_DATASETS)

__all__ = ["ARCHITECTURES", "DATASETS", "VISION_DATASETS"]
