"""What the learned candidate sources are built on, with no source in it: the features of a proof
state (``features``), the TF-IDF k-nearest-neighbour index over them (``knn``) and the premise
index (``premises``). Retrieval (``agent.policies``), the step generator (``agent.generator``)
and the project source (``agent.project``) build on these; nothing here imports them, so the
arrows go one way: policies -> generator -> learned."""
