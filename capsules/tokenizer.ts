import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

/**
 * Prompt-size measurement with js-tiktoken (o200k_base, the encoding of current OpenAI models; a
 * close-enough proxy for other providers' tokenizers when forecasting). The rank table is large
 * (~2 MB), so it loads on first use. Pure JS, but keep it out of workflow code: forecasts are
 * computed in activities or the CLI and passed to workflows as data.
 */
let encoder: Tiktoken | undefined;

/** Counts tokens in `text`. */
export function countTokens(text: string): number {
  encoder ??= new Tiktoken(o200kBase);
  return encoder.encode(text).length;
}

/** Something that counts tokens; tests and callers with other tokenizers can inject their own. */
export type TokenCounter = (text: string) => number;
