import type OpenAI from 'openai';

/** Turns texts into vectors of one fixed dimension (same model for storing and querying). */
export interface Embedder {
  readonly model: string;
  embed(texts: string[], options?: { signal?: AbortSignal }): Promise<number[][]>;
}

/**
 * Embeddings through the OpenAI API or any compatible server (Ollama and vLLM serve
 * `/v1/embeddings`). The client is built once, with `maxRetries: 0`.
 */
export function createOpenAiEmbedder({ client, model }: { client: OpenAI; model: string }): Embedder {
  return {
    model,
    async embed(texts, { signal } = {}) {
      if (texts.length === 0) return [];
      const res = await client.embeddings.create({ model, input: texts }, { signal });
      return [...res.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    },
  };
}
