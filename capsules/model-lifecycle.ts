/**
 * Provider retirement dates of models in the catalogue. A retired model's calls fail at the
 * provider, so `capsule validate`/`plan` and `npm start` report a persona that still names one
 * before a run does; a model that retires soon is a warning with the replacement to move to.
 * Dates are the providers' published end-of-life (the Anthropic SDK warns on the same list).
 * Sandbox-safe (data only).
 */
export interface ModelRetirement {
  /** ISO date (YYYY-MM-DD): from this day on the provider refuses the model. */
  retiresOn: string;
  /** `provider/model` to move to. */
  replacement: string;
}

export const MODEL_RETIREMENTS: Readonly<Record<string, ModelRetirement>> = {
  'anthropic/claude-sonnet-4-5': { retiresOn: '2026-11-30', replacement: 'anthropic/claude-sonnet-4-6' },
};

/** How long before its retirement a model is reported as retiring. */
export const RETIREMENT_NOTICE_DAYS = 90;

export type ModelLifecycle = { state: 'current' } | ({ state: 'retiring' | 'retired' } & ModelRetirement);

/** Where `model` stands on `today` (YYYY-MM-DD). */
export function modelLifecycle(
  model: string,
  today: string,
  retirements: Readonly<Record<string, ModelRetirement>> = MODEL_RETIREMENTS,
): ModelLifecycle {
  const retirement = retirements[model];
  if (!retirement) return { state: 'current' };
  if (today >= retirement.retiresOn) return { state: 'retired', ...retirement };
  const days = (Date.parse(retirement.retiresOn) - Date.parse(today)) / 86_400_000;
  return days <= RETIREMENT_NOTICE_DAYS ? { state: 'retiring', ...retirement } : { state: 'current' };
}
