const KEY_PATTERNS = [
  /\bsk-[A-Za-z0-9_-]{6,}/g, // OpenAI and Anthropic (sk-ant-...) key shapes
  /\bBearer\s+[A-Za-z0-9._~+/=-]{6,}/gi,
];

/**
 * Removes credentials from text that came back from a provider (OpenAI echoes part of a wrong key
 * in its 401 message). Known secrets are replaced wherever they appear, including any substring
 * of at least 8 characters, then anything shaped like a key.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    out = out.split(secret).join('***');
    // Providers often show a masked fragment, e.g. "sk-abc***********wxyz": hide its parts too.
    if (secret.length >= 16) {
      for (const part of [secret.slice(0, 8), secret.slice(-8)]) out = out.split(part).join('***');
    }
  }
  for (const pattern of KEY_PATTERNS) out = out.replace(pattern, '***');
  return out;
}
