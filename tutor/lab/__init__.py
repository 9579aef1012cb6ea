"""The next-token lab, as plain data and small functions you can read.

A language model only ever answers one question: "given this text, how likely is each possible
next token?" Everything in the lab is built from that one answer:

- *Predict* shows the answer as a list of candidates with probabilities.
- *Controls* reshape those probabilities (temperature, top-k, top-p) before a token is drawn.
- *Continue* runs the generation loop by hand: pick a token, append it, ask again.
- *Tokens* and *Build a tokenizer* show what a "token" is; *Training pairs* shows where the
  model's training examples come from.

The modules, from the tabs down to the drawing (import the module you need, e.g.
`from tutor.lab import generation`, and call `generation.undo(state)`: this package re-exports
nothing, so every name says where it lives):

- `sections`: the lab's tabs and their labels, the lesson each one links to, a learner's starting
  values.
- `context`: what the model reads: the learner's text cleaned and cut to fit the context window.
- `predictions`: asking the model (its candidates for the next token, its greedy continuation),
  each answer remembered per learner so undo and regenerate do not ask again.
- `reshaping`: temperature, top-k and top-p applied to the candidates; the chart's bars.
- `generation`: the generation loop by hand: the text as a list of steps, the buttons' actions on it,
  greedy choice and seeded sampling.
- `tokens`: tokens made visible, pieces of a character and finishing them, the Tokens table,
  characters per token, training pairs.
- `tokenizer`: training a small sentencepiece tokenizer on the course; the vocabulary ladder.
- `notes`: which note, warning or button label the page shows when, in the learner's language.
- `tables`: the Tokens, Training pairs and ladder tables (pandas, headers in the learner's language).
- `charts`: the probability chart (Altair) and the escaped HTML (coloured text, token chips).

No Streamlit here: pages/next_token_lab.py draws what these functions return, and tutor/ui/lab.py
ties them to the learner's session. The reshaping itself (softmax, temperature, top-k,
top-p, seeded sampling) lives in tutor.llm.sampling, shared with the real model, so the lab shows
exactly what the model does.
"""
