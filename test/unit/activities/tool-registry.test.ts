import { z } from 'zod';
import { createMemoryStore } from '../../../activities/memory/memory-store';
import { BUILTIN_TOOL_IDS } from '../../../activities/shared/tool-ids';
import { builtinTools } from '../../../activities/tools/builtin-tools';
import { createHttpRequester } from '../../../activities/tools/http-request';
import { createToolRegistry, defineTool } from '../../../activities/tools/registry';
import { createWorkspaces } from '../../../activities/tools/workspace';
import { createPool } from '../../../services/postgres';

// Nothing here queries or touches the filesystem: the pool never connects, the root is never made.
const pool = createPool({ url: 'postgres://nobody@127.0.0.1:1/unused' });
const registry = createToolRegistry(
  builtinTools({
    workspaces: createWorkspaces({ root: '/nonexistent/somagent-unit' }),
    httpRequest: createHttpRequester({ allowedHosts: [] }),
    memory: createMemoryStore({ pool }),
  }),
);
afterAll(() => pool.end());

describe('tool registry', () => {
  it('registers exactly the contract built-ins', () => {
    expect(
      registry
        .list()
        .map((t) => t.id)
        .sort(),
    ).toEqual(Object.values(BUILTIN_TOOL_IDS).sort());
  });

  it('says per call whether a tool writes (the gate descriptor’s `writes`)', () => {
    expect(registry.writes('http.request', { url: 'https://a.example/x', method: 'GET' })).toBe(false);
    expect(registry.writes('http.request', { url: 'https://a.example/x' })).toBe(false); // GET by default
    expect(registry.writes('http.request', { url: 'https://a.example/x', method: 'POST', body: '{}' })).toBe(
      true,
    );
    expect(registry.writes('workspace.write', { path: 'a', content: '' })).toBe(true);
    expect(registry.writes('memory.remember', { content: 'x' })).toBe(true);
    expect(registry.writes('workspace.read', { path: 'a' })).toBe(false);
    expect(registry.writes('http.request', { method: 'DELETE' })).toBe(true); // invalid: cautious
    expect(registry.writes('no.such.tool', {})).toBe(true);
  });

  it('validates arguments and names each bad field', () => {
    expect(registry.check('workspace.write', { path: 'a.md', content: 'x' })).toEqual({
      ok: true,
      args: { path: 'a.md', content: 'x' },
    });
    const bad = registry.check('memory.remember', {
      content: '',
      links: [{ to: 'not-a-uuid', relation: 'x' }],
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.problems).toContain('arguments.content');
      expect(bad.problems).toContain('arguments.links.0.to');
    }
    expect(registry.check('nope', {})).toEqual({ ok: false, problems: 'unknown tool nope' });
  });

  it('derives provider-ready JSON schemas from the zod schemas', () => {
    const [http] = registry.definitions(['http.request']);
    expect(http!.parameters).toMatchObject({
      type: 'object',
      properties: { method: { enum: ['GET', 'POST'], default: 'GET' }, url: { type: 'string' } },
      required: ['url'],
      additionalProperties: false,
    });
  });

  it('refuses duplicate ids', () => {
    const tool = defineTool({
      id: 'x',
      description: 'x',
      args: z.object({}),
      risk: 'low',
      category: 'test',
      sideEffect: 'read',
      egress: false,
    });
    expect(() => createToolRegistry([tool, tool])).toThrow(/registered twice: x/);
  });
});
