"""Inside the model: its real attention, its guess after every layer, and its word map.

Plain functions over one `InsideModel` (tutor.inside.model), written to be read next to lessons
5, 6 and 10: `attention.attention_table`, `lens.guess_after_every_layer`, `embeddings.neighbours`
and `embeddings.word_map`. Importing this package does not import torch or load any weights.
"""

# The page's views, in tab order; a link opens one with ?view=<name> (lessons: [[try:inside/map]]).
VIEWS: tuple[str, ...] = ("attention", "lens", "map")
