/**
 * Platform tool ids contain dots (`workspace.read`), which OpenAI and Anthropic reject in tool
 * names (`^[a-zA-Z0-9_-]{1,64}$`). Dots become `__` on the wire and are restored on the way back,
 * using the request's own tool list so unknown names pass through untouched.
 */
export function toWireToolName(name: string): string {
  return name.replace(/\./g, '__');
}

export function toolNameDecoder(names: readonly string[]): (wire: string) => string {
  const byWire = new Map(names.map((n) => [toWireToolName(n), n]));
  return (wire) => byWire.get(wire) ?? wire;
}
