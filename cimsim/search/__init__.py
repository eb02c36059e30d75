"""CIM²PQ: array-wise mixed-precision search (``cimsim search``); see :mod:`cimsim.search.cim2pq`."""
