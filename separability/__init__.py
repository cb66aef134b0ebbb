"""Replication of Furusho & Ikeda (ACML 2019), "ResNet and Batch-normalization Improve Data
Separability": random-init propagation, infinite-width theory, training and claim tests.

Architectures are named ``mlp``, ``resnet`` and ``resnet_bn`` throughout (see SPEC).
"""

ARCHITECTURES = ("mlp", "resnet", "resnet_bn")

__all__ = ["ARCHITECTURES"]
