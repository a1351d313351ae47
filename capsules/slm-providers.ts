/**
 * The SLM providers a SomaGent worker can build, and the environment variables that turn each
 * on. A persona's model `provider/model` names one of them; `activities/slm/providers.ts` builds
 * the clients from the same list, so what the readiness check says is missing is what the worker
 * lacks. Sandbox-safe (data).
 */
export interface SlmProviderSpec {
  /** The variable whose presence turns the provider on. */
  variable: string;
  /** What to set, said to whoever has to set it. */
  setup: string;
}

export const SLM_PROVIDERS = {
  openai: {
    variable: 'OPENAI_API_KEY',
    setup: 'set OPENAI_API_KEY (and OPENAI_BASE_URL for an OpenAI-compatible server)',
  },
  anthropic: {
    variable: 'ANTHROPIC_API_KEY',
    setup: 'set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a compatible server)',
  },
  local: {
    variable: 'LOCAL_SLM_BASE_URL',
    setup:
      'set LOCAL_SLM_BASE_URL to an OpenAI-compatible server such as Ollama or vLLM (and LOCAL_SLM_API_KEY if it wants one)',
  },
} as const satisfies Record<string, SlmProviderSpec>;

export type SlmProviderName = keyof typeof SLM_PROVIDERS;

/** Whether `name` is one of the providers the worker knows how to build. */
export function isKnownProvider(name: string): name is SlmProviderName {
  return Object.hasOwn(SLM_PROVIDERS, name);
}

/**
 * The providers `config` turns on, in catalogue order. `config` is the parsed configuration (or
 * anything with the same variable names); an empty string counts as unset.
 */
export function configuredProviders(config: Readonly<Record<string, unknown>>): SlmProviderName[] {
  return (Object.keys(SLM_PROVIDERS) as SlmProviderName[]).filter((name) => {
    const value = config[SLM_PROVIDERS[name].variable];
    return typeof value === 'string' && value !== '';
  });
}

/** Splits `provider/model` at the first slash (model names may contain more). */
export function splitModelRef(ref: string): { provider: string; model: string } {
  const slash = ref.indexOf('/');
  return slash < 0
    ? { provider: ref, model: ref }
    : { provider: ref.slice(0, slash), model: ref.slice(slash + 1) };
}

/**
 * Why `model` (`provider/model`) cannot run when its provider is not among `configured`, and
 * what to do about it: the variable to set for a known provider, the known providers otherwise.
 */
export function providerMissingMessage(model: string, configured: readonly string[]): string {
  const { provider } = splitModelRef(model);
  if (isKnownProvider(provider)) {
    return `model ${model} needs the "${provider}" provider: ${SLM_PROVIDERS[provider].setup}`;
  }
  const known = Object.keys(SLM_PROVIDERS)
    .map((name) => `${name}/`)
    .join(', ');
  return (
    `model ${model} names provider "${provider}", which this worker does not have ` +
    `(configured: ${configured.join(', ') || 'none'}): use a model of ${known} ` +
    `(local/ is any OpenAI-compatible server at LOCAL_SLM_BASE_URL)`
  );
}
