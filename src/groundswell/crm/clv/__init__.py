"""Customer lifetime value: BG/NBD and Gamma-Gamma fitted on imported transactions.

``math`` holds the published likelihoods (pure); ``service`` fits, stores and reads them.
"""
