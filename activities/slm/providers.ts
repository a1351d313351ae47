import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { configuredProviders } from '../../capsules/slm-providers';
import type { Config } from '../../services/config';
import { createAnthropicProvider } from './anthropic-provider';
import { createOpenAiProvider } from './openai-provider';
import type { SlmProvider } from './types';

/** Per-request timeout of SLM HTTP calls; the activity's startToClose bounds it further. */
export const SLM_REQUEST_TIMEOUT_MS = 120_000; // 2 min

type SlmConfig = Pick<
  Config,
  | 'OPENAI_API_KEY'
  | 'OPENAI_BASE_URL'
  | 'ANTHROPIC_API_KEY'
  | 'ANTHROPIC_BASE_URL'
  | 'LOCAL_SLM_BASE_URL'
  | 'LOCAL_SLM_API_KEY'
>;

/**
 * Builds every configured provider once per process: `openai` (OPENAI_API_KEY), `anthropic`
 * (ANTHROPIC_API_KEY) and `local` (LOCAL_SLM_BASE_URL, any OpenAI-compatible server). Which ones
 * are on is decided by the catalogue in `capsules/slm-providers.ts`, the same answer the model
 * readiness checks give. Clients have `maxRetries: 0`: Temporal's retry policy is the only retry
 * layer.
 */
export function createSlmProviders(config: SlmConfig): Record<string, SlmProvider> {
  const providers: Record<string, SlmProvider> = {};
  const enabled = new Set(configuredProviders(config));
  if (enabled.has('openai') && config.OPENAI_API_KEY) {
    providers.openai = createOpenAiProvider({
      name: 'openai',
      client: new OpenAI({
        apiKey: config.OPENAI_API_KEY,
        baseURL: config.OPENAI_BASE_URL,
        maxRetries: 0,
        timeout: SLM_REQUEST_TIMEOUT_MS,
      }),
      secrets: [config.OPENAI_API_KEY],
    });
  }
  if (enabled.has('anthropic') && config.ANTHROPIC_API_KEY) {
    providers.anthropic = createAnthropicProvider({
      name: 'anthropic',
      client: new Anthropic({
        apiKey: config.ANTHROPIC_API_KEY,
        baseURL: config.ANTHROPIC_BASE_URL,
        maxRetries: 0,
        timeout: SLM_REQUEST_TIMEOUT_MS,
      }),
      secrets: [config.ANTHROPIC_API_KEY],
    });
  }
  if (enabled.has('local') && config.LOCAL_SLM_BASE_URL) {
    // Local servers usually ignore the key, but the SDK refuses to start without one.
    const apiKey = config.LOCAL_SLM_API_KEY ?? 'not-needed';
    providers.local = createOpenAiProvider({
      name: 'local',
      client: new OpenAI({
        apiKey,
        baseURL: config.LOCAL_SLM_BASE_URL,
        maxRetries: 0,
        timeout: SLM_REQUEST_TIMEOUT_MS,
      }),
      secrets: config.LOCAL_SLM_API_KEY ? [config.LOCAL_SLM_API_KEY] : [],
      maxTokensField: 'max_tokens',
    });
  }
  return providers;
}
