"""Storage: what a client keeps beside its calls, so that an identical call is never paid twice.

Analysts pay per call. The rules, each in one module:

* **Keys** (:mod:`~patsnap_analytics.store.keys`): one entry per page, keyed by the host, the path, the
  normalised filters and the *image* (its sha256, never the temporary upload URL, nor a search's short-lived
  ``search_id``); a JSON search by its body, each image by its hash. The same image and filters cost nothing a
  week later. No secret ever enters a key.
* **Answers** (:mod:`~patsnap_analytics.store.answers`): only checked answers are stored, by the transport,
  after it checked them; a failed or refused refresh leaves the stored answer in place; a zero-hit answer is
  kept a day. A stored answer is a clean copy: no credential in any field. Thumbnails go through the same cache
  with their own expiry.
* **The session and its storage** (:mod:`~patsnap_analytics.store.session`): the SQLite file of one person
  (:mod:`~patsnap_analytics.store.file`: JSON, never pickles; recognised before it is touched; bounded locks;
  read-only when the folder is), a team's Redis (:mod:`~patsnap_analytics.store.team`: the same rules, each
  record expiring with a Redis TTL), memory, or none.
* **Storage trouble is said, once** (:mod:`~patsnap_analytics.store.health`): a full disk, a corrupt or
  truncated file, a read-only folder. The search goes on without the cache.
* **Records beside the answers** (:mod:`~patsnap_analytics.store.tables`): tables of JSON text (patent records,
  verdicts, a watch's runs, overnight jobs), in the file, the team's Redis or memory; the upload ledger
  (:mod:`~patsnap_analytics.store.ledger`: an image's upload URL until a minute before it expires).
* **One search per key at a time** (:mod:`~patsnap_analytics.store.flight`): lock files, or Redis locks for a
  team.

Nothing here is public API. The folder imports the bottom floor (``api``, ``errors``, ``settings``, ``redact``)
and nothing above it: not ``wire/`` (which stores through it), not the searcher or the client
(``docs/architecture.md``).
"""
