"""Turning ``--text`` into a query vector: ``--embedder PROVIDER:MODEL``.

Built in: ``openai:MODEL`` (the ``openai`` extra, OPENAI_API_KEY) and
``sentence-transformers:MODEL_OR_PATH`` (the ``sentence-transformers`` extra). Both are
optional: the packages are imported only when chosen, and their absence is a clear
error, never an import failure at start-up. Other providers (a local service, a test
double) plug in with :func:`register_embedder`. ``APEXDB_EMBEDDER`` gives a default.
"""
from __future__ import annotations

import os
from typing import Callable, Protocol, Sequence

from apexdb.errors import BadInput, NotEnabled

ENV_DEFAULT = "APEXDB_EMBEDDER"


class Embedder(Protocol):
    def embed(self, text: str) -> Sequence[float]: ...


# provider name -> factory(model) -> Embedder
_PROVIDERS: dict[str, Callable[[str], Embedder]] = {}


def register_embedder(provider: str, factory: Callable[[str], Embedder]) -> None:
    """Make ``--embedder provider:MODEL`` call ``factory(MODEL)``."""
    _PROVIDERS[provider] = factory


def providers() -> list[str]:
    return sorted(_PROVIDERS)


def get_embedder(spec: str | None) -> Embedder:
    """The embedder ``spec`` names (or APEXDB_EMBEDDER), or a BadInput saying how to pick one."""
    spec = spec or os.environ.get(ENV_DEFAULT)
    choices = "--embedder openai:MODEL (needs OPENAI_API_KEY) or --embedder sentence-transformers:MODEL_OR_PATH"
    if not spec:
        raise BadInput(f"--text needs an embedder to turn the text into a vector: {choices}")
    provider, sep, model = spec.partition(":")
    if not sep or not model:
        raise BadInput(f"--embedder {spec!r}: expected PROVIDER:MODEL, e.g. openai:text-embedding-3-small")
    factory = _PROVIDERS.get(provider)
    if factory is None:
        raise BadInput(f"--embedder {spec!r}: unknown provider {provider!r} (known: {', '.join(providers())})")
    return factory(model)


def embed_text(spec: str | None, text: str, dims: int | None) -> list[float]:
    """The query vector for ``text``; the dimension check happens with the column's."""
    if not text.strip():
        raise BadInput("--text is empty")
    vector = list(get_embedder(spec).embed(text))
    if dims is not None and len(vector) != dims:
        raise BadInput(f"the embedder returned {len(vector)} dimensions but the column has {dims}; "
                       f"use the model the column was filled with")
    return vector


class OpenAIEmbedder:
    def __init__(self, model: str):
        try:
            import openai
        except ImportError:
            raise BadInput("--embedder openai: the openai package is not installed "
                           "(pip install 'apexdb[openai]')") from None
        if not os.environ.get("OPENAI_API_KEY"):
            raise BadInput("--embedder openai: OPENAI_API_KEY is not set")
        self.model = model
        self.client = openai.OpenAI()

    def embed(self, text: str) -> list[float]:
        try:
            response = self.client.embeddings.create(model=self.model, input=[text])
        except Exception as exc:  # the SDK's errors have no common base worth importing
            raise NotEnabled(f"OpenAI embedding with {self.model} failed: {exc}") from None
        return list(response.data[0].embedding)


class SentenceTransformersEmbedder:
    def __init__(self, model: str):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise BadInput("--embedder sentence-transformers: the sentence-transformers package is not "
                           "installed (pip install 'apexdb[sentence-transformers]')") from None
        try:
            self.model = SentenceTransformer(model)
        except Exception as exc:  # missing model, no network to fetch it
            raise BadInput(f"--embedder sentence-transformers:{model}: cannot load the model: {exc}") from None

    def embed(self, text: str) -> list[float]:
        return [float(x) for x in self.model.encode(text)]


register_embedder("openai", OpenAIEmbedder)
register_embedder("sentence-transformers", SentenceTransformersEmbedder)
