"""A deterministic sample corpus for the demo and for trying things out.

``demo_items(id bigint primary key, title text, category text, metadata jsonb,
embedding vector(384))``: a few thousand documents whose embeddings are clustered by
category (unit vectors around one random centre per category), so nearest neighbours
are meaningful and recall can be measured. The same seed always gives the same rows.
"""
from __future__ import annotations

import json
from pathlib import Path

from apexdb.errors import BadInput

DEMO_ROWS = 3000
DEMO_DIMS = 384
DEMO_SEED = 7
CATEGORIES = ("databases", "search", "machine learning", "operations", "security", "networking",
              "storage", "observability")
_ADJECTIVES = ("practical", "fast", "gentle", "deep", "modern", "reliable", "hidden", "scalable", "simple",
               "robust", "concise", "hands-on")
_TOPICS = {
    "databases": ("indexes", "query plans", "vacuum", "replication", "transactions", "partitioning"),
    "search": ("vector search", "ranking", "recall", "embeddings", "hybrid search", "re-ranking"),
    "machine learning": ("transformers", "fine-tuning", "evaluation", "tokenizers", "distillation", "datasets"),
    "operations": ("on-call", "runbooks", "capacity planning", "deploys", "incident reviews", "backups"),
    "security": ("secrets", "access control", "audit logs", "encryption", "threat models", "patching"),
    "networking": ("load balancers", "DNS", "TLS", "connection pooling", "latency", "timeouts"),
    "storage": ("SSDs", "write amplification", "compression", "object stores", "filesystems", "RAID"),
    "observability": ("metrics", "tracing", "dashboards", "alerts", "log pipelines", "SLOs"),
}
_FORMS = ("A {adj} guide to {topic}", "{Topic}, {adj} and explained", "Notes on {topic}",
          "Why {topic} matter", "{Topic} in practice", "The {adj} handbook of {topic}")


def corpus(rows: int = DEMO_ROWS, dims: int = DEMO_DIMS, seed: int = DEMO_SEED, clusters: int | None = None):
    """(ids, titles, categories, metadata, vectors float32 (rows, dims) of unit length)."""
    import numpy as np

    if rows < 1 or not 1 <= dims <= 16000:
        raise BadInput("sample data needs at least 1 row and 1 to 16,000 dimensions")
    rng = np.random.default_rng(seed)
    k = clusters or len(CATEGORIES)
    centres = rng.standard_normal((k, dims)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = rng.integers(0, k, size=rows)
    # noise comparable to the centre: neighbours mostly share a category, but not trivially
    noise = rng.standard_normal((rows, dims)).astype(np.float32) * (1.2 / np.sqrt(dims))
    vectors = centres[labels] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(1, rows + 1, dtype=np.int64)
    titles, categories, metadata = [], [], []
    for i, label in enumerate(labels.tolist()):
        category = CATEGORIES[label % len(CATEGORIES)]
        topic = _TOPICS[category][int(rng.integers(0, 6))]
        adj = _ADJECTIVES[int(rng.integers(0, len(_ADJECTIVES)))]
        form = _FORMS[int(rng.integers(0, len(_FORMS)))]
        titles.append(form.format(adj=adj, topic=topic, Topic=topic[:1].upper() + topic[1:]))
        categories.append(category)
        metadata.append({"year": 2015 + int(rng.integers(0, 11)), "words": int(rng.integers(300, 5000)),
                         "cluster": int(label), "source": f"doc-{i + 1:05d}"})
    return ids, titles, categories, metadata, vectors.astype(np.float32)


def write_corpus(path: str | Path, rows: int = DEMO_ROWS, dims: int = DEMO_DIMS, seed: int = DEMO_SEED) -> dict:
    """Write the corpus as .jsonl (every column) or .npy (vectors only); what was written."""
    import numpy as np

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".npy"):
        raise BadInput(f"sample data is written as .jsonl or .npy, not {suffix or 'no extension'}")
    ids, titles, categories, metadata, vectors = corpus(rows, dims, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if suffix == ".npy":
        with open(tmp, "wb") as f:
            np.save(f, vectors)
    else:
        with open(tmp, "w") as f:
            for i in range(rows):
                f.write(json.dumps({"id": int(ids[i]), "title": titles[i], "category": categories[i],
                                    "metadata": metadata[i],
                                    "embedding": [round(float(x), 6) for x in vectors[i]]}) + "\n")
    tmp.replace(path)  # a reader never sees half a file
    return {"file": str(path), "rows": rows, "dims": dims, "clusters": len(CATEGORIES),
            "size_bytes": path.stat().st_size}
