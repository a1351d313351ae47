// js-tiktoken publishes its rank tables only through package "exports", which TypeScript's
// node10 resolution (this repo's setting) does not read; this declares the one we load.
declare module 'js-tiktoken/ranks/o200k_base' {
  const ranks: { pat_str: string; special_tokens: Record<string, number>; bpe_ranks: string };
  export default ranks;
}
