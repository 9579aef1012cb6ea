"""The chat tutor: a learner's question in, an answer that rests on the lesson's own words out.

In the order a question travels through them:

- `terms`: the word tools every step shares (stems, stop words, the typo speller, markup stripping);
- `retrieval`: which lesson sections answer the question, and whether the lessons cover it at all;
- `asked`: learners' own questions per section (content/<lang>/asked.toml), which the search and
  the quote picker use to meet a learner's words;
- `quotes`: the section's sentence(s) that answer, quoted word for word before the model writes;
- `checks`: the guards on every sentence the model writes (echo, loop, yes/no contradiction,
  support in the notes);
- `answer`: the one pipeline the chat page, `python -m tutor ask` and the server backend share;
- `cli`: the `ask` command.
"""
